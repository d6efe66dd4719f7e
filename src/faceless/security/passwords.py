"""Password hashing and password policy.

Argon2id at OWASP's minimum profile (19 MiB, t=2, p=1). Hashing runs in worker
threads behind a capacity limiter: a flood of logins queues there instead of
occupying every thread and starving unrelated requests. Unknown users are
checked against a dummy hash so both failure paths cost the same time.
"""

from __future__ import annotations

import anyio
from anyio.to_thread import run_sync
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from faceless.security.common_passwords import is_common_password

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1, hash_len=32)
_DUMMY_HASH = _hasher.hash("dummy password used to equalise login timing")


class PasswordHashing:
    def __init__(self, max_concurrent: int) -> None:
        self._limiter = anyio.CapacityLimiter(max_concurrent)

    async def hash(self, password: str) -> str:
        return await run_sync(_hasher.hash, password, limiter=self._limiter)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; a None hash still spends a full verification."""
        return await run_sync(_verify, password_hash, password, limiter=self._limiter)


def _verify(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def password_problems(password: str, *, username: str) -> list[str]:
    problems = []
    if not MIN_LENGTH <= len(password) <= MAX_LENGTH:
        problems.append(f"must be {MIN_LENGTH} to {MAX_LENGTH} characters long")
    if username and username.lower() in password.lower():
        problems.append("must not contain the username")
    if is_common_password(password):
        problems.append("is too common")
    return problems
