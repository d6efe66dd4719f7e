"""The principal generation: one value every process reads before it trusts a cached principal.

Each API process keeps a cache of who a sign-in session speaks for (``auth.
principal_cache``), so an authenticated request does not query the user and the session
every time. A cache that merely expired would keep a logged-out, disabled or demoted
account working until then; this value is how every process learns, on the very next
request, that a cached answer may be wrong:

- any change to who a principal is (a session revoked, a user disabled, a role changed, a
  password changed) *bumps* the generation once its transaction has committed, before
  the client gets the change's response;
- every authenticated request *observes* the generation before it reads the database,
  and a cached principal counts only if it was read under the generation observed now.

Observing costs nothing extra: with Redis it is one ``GET`` inside the rate limiter's
Lua script, which every API request already runs (``ratelimit.redis_storage``); in the
embedded default it is a ``stat`` of a file under the var directory, which every process
sharing that directory (a second server, a CLI command) sees, replaced atomically on a
bump. A request whose generation could not be observed (Redis down, a route without a
rate-limit tier) reads the database: the cache is an optimisation, never the authority.

Ordering, the reason this is correct and not merely likely: the bump follows the
commit, and a cached entry is stamped with the generation observed *before* its
database read. An entry read before the commit therefore carries an older generation
than any request that starts after the bump observes, so it is never used by one.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from redis.asyncio import Redis

REDIS_KEY = "faceless:auth:generation"
FILE_NAME = "principal-generation"


class PrincipalGeneration(Protocol):
    async def bump(self) -> None:
        """Tell every process that cached principals read before now are stale."""

    async def close(self) -> None: ...


class RedisGeneration:
    """The generation as a Redis counter (read by the rate limiter's script)."""

    def __init__(self, url: str, *, timeout: float = 1.0, key: str = REDIS_KEY) -> None:
        self.key = key
        self._url = url
        self._timeout = timeout
        self._redis: Redis | None = None

    async def bump(self) -> None:
        if self._redis is None:  # made at first use: most processes never bump
            # Imported here too: the embedded default never loads redis-py (issue 11).
            from redis.asyncio import Redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry

            self._redis = Redis.from_url(
                self._url,
                socket_timeout=self._timeout,
                socket_connect_timeout=self._timeout,
                retry=Retry(NoBackoff(), 2),
            )
        await self._redis.incr(self.key)

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()


class FileGeneration:
    """The generation as the identity of a file, for processes that share a var directory.

    A bump replaces the file (a new inode, a new modification time), so one ``stat``
    tells whether anything changed: cheaper than opening and reading it.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / FILE_NAME

    def current(self) -> str:
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            return "none"
        return f"{info.st_ino}:{info.st_mtime_ns}:{info.st_ctime_ns}"

    async def bump(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".generation-")
        try:
            # Content differs on every bump too, should two bumps share a timestamp tick.
            os.write(descriptor, secrets.token_hex(8).encode())
        finally:
            os.close(descriptor)
        os.replace(temporary, self.path)

    async def close(self) -> None:
        return None
