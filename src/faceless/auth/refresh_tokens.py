"""Opaque refresh tokens and their stored HMACs.

The database keeps only HMAC-SHA256(token) under a key derived from each signing
key, so a leaked table cannot be replayed, and lookups try every key in the ring
so rotating SECRET_KEY does not sign everybody out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from faceless.crypto.keys import Keyring

_PURPOSE = b"faceless/refresh-token/v1"


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def _derived(key: bytes) -> bytes:
    return hmac.new(key, _PURPOSE, hashlib.sha256).digest()


def token_hash(keyring: Keyring, token: str) -> str:
    return hmac.new(_derived(keyring.current), token.encode(), hashlib.sha256).hexdigest()


def candidate_hashes(keyring: Keyring, token: str) -> list[str]:
    return [
        hmac.new(_derived(key), token.encode(), hashlib.sha256).hexdigest()
        for key in keyring.keys.values()
    ]
