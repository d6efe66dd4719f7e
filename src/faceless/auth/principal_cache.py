"""Recent answers of "who does this sign-in session speak for", valid for one generation.

``auth.bearer.resolve_principal`` asks the database for the user and the session of
every access token; under load that query is most of an authenticated read's cost.
This cache keeps its positive answers (never a refusal) per session (an API token's by
its HMAC, ``auth.bearer``), stamped with the
principal generation observed before the read (``security.principal_generation``
explains why that makes invalidation exact across processes). An entry counts only
under the very generation the current request observed; anything else is a miss, and
the entry is replaced by the fresh read.

Bounded: at most ``max_entries`` sessions (the oldest insertion goes first), each for
at most ``max_age`` seconds, a backstop should a bump ever be lost (Redis failing
between a commit and its bump); a bump, not the age, is what ends a revoked session.

After a change that alters who a principal is, ``auth.revocation.principals_changed``
arranges the bump for when the caller's transaction has committed.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from faceless.auth.principal import Principal
from faceless.bounded import put_bounded

DEFAULT_MAX_ENTRIES = 10_000
# A sign-in session's id, or the HMAC of an API token.
CacheKey = uuid.UUID | str
DEFAULT_MAX_AGE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    generation: str
    stored_at: float


class PrincipalCache:
    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_age: float = DEFAULT_MAX_AGE_SECONDS,
    ) -> None:
        self._entries: dict[CacheKey, _Entry] = {}
        self._max_entries = max_entries
        self._max_age = max_age

    def get(self, key: CacheKey, user_id: uuid.UUID | None, generation: str) -> Principal | None:
        """The principal stored under ``key`` for this generation (and ``user_id``, if given)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if (
            entry.generation != generation
            or (user_id is not None and entry.principal.id != user_id)
            or time.monotonic() - entry.stored_at > self._max_age
        ):
            del self._entries[key]
            return None
        return entry.principal

    def put(self, principal: Principal, generation: str, *, key: CacheKey | None = None) -> None:
        """Store ``principal`` under ``key`` (by default its session id)."""
        key = principal.session_id if key is None else key
        entry = _Entry(principal, generation, time.monotonic())
        put_bounded(self._entries, key, entry, self._max_entries)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
