"""Keyrings: a current key plus older keys that still verify or decrypt.

A keyring secret is written either as one encoded key, or as a comma-separated
list of ``kid:key`` entries, current first::

    SECRET_KEY=2026-11:bXkta2V5...,2026-05:b2xkLWtleQ...

Keys are base64 (standard or URL-safe, padding optional) or hex and must carry at
least 256 bits. A lone key gets a stable id derived from its fingerprint, so tokens
signed before an operator switches to the list form keep verifying.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import secrets
from dataclasses import dataclass

MIN_KEY_BYTES = 32
_KID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")


class KeyringError(ValueError):
    """A keyring secret is malformed or too weak. Messages never include key material."""


@dataclass(frozen=True, slots=True)
class Keyring:
    current_kid: str
    keys: dict[str, bytes]

    @property
    def current(self) -> bytes:
        return self.keys[self.current_kid]


def decode_key(encoded: str) -> bytes:
    text = encoded.strip()
    if _HEX.match(text) and len(text) % 2 == 0:
        return bytes.fromhex(text)
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise KeyringError("key is neither hex nor base64") from None


def fingerprint_kid(key: bytes) -> str:
    return "k" + hashlib.sha256(key).hexdigest()[:10]


def parse_keyring(secret_name: str, value: str) -> Keyring:
    entries = [part.strip() for part in value.split(",") if part.strip()]
    if not entries:
        raise KeyringError(f"{secret_name} is empty")
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for entry in entries:
        kid, sep, encoded = entry.partition(":")
        if not sep:
            kid, encoded = "", entry
        elif not _KID.match(kid):
            raise KeyringError(f"{secret_name} has a malformed key id")
        try:
            key = decode_key(encoded)
        except KeyringError:
            raise KeyringError(f"{secret_name}: a key is neither hex nor base64") from None
        if len(key) < MIN_KEY_BYTES:
            raise KeyringError(
                f"{secret_name}: a key has {len(key) * 8} bits; at least {MIN_KEY_BYTES * 8} needed"
            )
        if len(set(key)) < 8:
            raise KeyringError(f"{secret_name}: a key has too little entropy")
        kid = kid or fingerprint_kid(key)
        if kid in keys:
            raise KeyringError(f"{secret_name}: key id {kid!r} appears twice")
        keys[kid] = key
        order.append(kid)
    return Keyring(current_kid=order[0], keys=keys)


def generate_keyring_value(prefix: str = "dev") -> str:
    """A fresh one-key keyring secret in the list form."""
    kid = f"{prefix}-{secrets.token_hex(4)}"
    key = base64.urlsafe_b64encode(secrets.token_bytes(MIN_KEY_BYTES)).decode().rstrip("=")
    return f"{kid}:{key}"
