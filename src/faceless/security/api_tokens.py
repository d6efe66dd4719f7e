"""API tokens for scripts: their form, their stored HMAC, and who owns a token seen before.

A token is ``fl_`` followed by ``secrets.token_urlsafe(32)`` (256 bits). The database
keeps only HMAC-SHA256 of it under ``API_TOKEN_HMAC_KEY``, a keyring of its own: a
leaked table yields no usable token, and rotating the JWT signing key (``SECRET_KEY``)
ends no API token. Rotating ``API_TOKEN_HMAC_KEY`` keeps the old key in the ring (the
lookup tries every key's HMAC), so tokens made under it keep working until it is
dropped from the ring.

:class:`TokenOwners` remembers which user a token (by its HMAC) belongs to, so the rate
limiter, which runs before any database read, can count an API token's requests
against its owner like a session's. Ownership never changes, so no entry goes stale;
a refused token is never entered.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from faceless.bounded import put_bounded
from faceless.crypto.keys import Keyring

PREFIX = "fl_"
# The stored HMAC is hex SHA-256; an API token is never longer than this on the wire.
MAX_TOKEN_CHARS = 128
_PURPOSE = b"faceless/api-token/v1"
_OWNERS_MAX = 10_000


def new_api_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def is_api_token(value: str) -> bool:
    return value.startswith(PREFIX)


def _derived(key: bytes) -> bytes:
    return hmac.new(key, _PURPOSE, hashlib.sha256).digest()


class ApiTokenHasher:
    """HMACs of API tokens under the current key (to store) or every key (to look up)."""

    def __init__(self, keyring: Keyring) -> None:
        self.use_keyring(keyring)

    def use_keyring(self, keyring: Keyring) -> None:
        """Swap keys after a secrets reload (the current key first)."""
        current = _derived(keyring.current)
        others = [_derived(key) for kid, key in keyring.keys.items() if kid != keyring.current_kid]
        self._keys = (current, *others)

    def digest(self, token: str) -> str:
        """The HMAC under the current key: what is stored for a new token."""
        return hmac.new(self._keys[0], token.encode(), hashlib.sha256).hexdigest()

    def candidates(self, token: str) -> list[str]:
        """The HMAC under every key of the ring, the current one first."""
        return [hmac.new(key, token.encode(), hashlib.sha256).hexdigest() for key in self._keys]


class TokenOwners:
    """Which user an API token (by its current-key HMAC) belongs to; bounded, oldest out."""

    def __init__(self, hasher: ApiTokenHasher, *, max_entries: int = _OWNERS_MAX) -> None:
        self.hasher = hasher
        self._owners: dict[str, str] = {}
        self._max_entries = max_entries

    def remember(self, digest: str, user_id: str) -> None:
        if digest not in self._owners:  # a known token keeps its place
            put_bounded(self._owners, digest, user_id, self._max_entries)

    def owner_of(self, token: str) -> str | None:
        """The owner's id of a token this process has accepted before, else None."""
        if len(token) > MAX_TOKEN_CHARS:
            return None
        return self._owners.get(self.hasher.digest(token))
