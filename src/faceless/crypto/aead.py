"""Authenticated encryption of single column values under a rotating keyring.

Design:

* AES-256-GCM (``cryptography``'s ``AESGCM``) with a fresh random 96-bit nonce per value.
  The AES key is not the keyring entry itself but an HKDF-SHA256 subkey of it with a
  purpose label, so the same keyring entry can also feed the blind index
  (:mod:`faceless.crypto.hashing`) without two primitives sharing one key.
* The associated data binds a ciphertext to its place: envelope version, key id, table,
  column and row id. A value copied into another row or column, or with its key id
  edited, fails authentication instead of decrypting to somebody else's data.
* The stored text is a versioned envelope naming the key id::

      v1:<kid>:<base64url(nonce | ciphertext | tag), unpadded>

  New values are sealed under the keyring's current key; any key still in the ring
  opens. Rotation re-seals values whose kid is not the current one.
* Every failure raises :class:`DecryptionError`, naming table, column and row, never
  key material or plaintext.
* Opening is a pure function of the envelope and its place, so each cipher remembers
  the values it opened last (ADR 0030): a hit needs the same envelope *and* the same
  table, column and row, and a cipher is rebuilt with its keyring, so a moved, edited
  or retired value is still refused.
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from faceless.crypto.keys import Keyring

VERSION = "v1"
PREFIX = VERSION + ":"
NONCE_BYTES = 12
TAG_BYTES = 16
_PREFIX_LENGTH = len(PREFIX)
_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_MALFORMED = "malformed envelope"
_AEAD_PURPOSE = b"faceless/column-aead/v1"
# What a cipher remembers of the values it opened (ADR 0030): at most this many, none
# longer than this many characters, so at most a few MB whatever the column holds.
OPENED_ENTRIES = 1024
OPENED_MAX_CHARS = 4096


class DecryptionError(Exception):
    """A stored value could not be authenticated and decrypted.

    The message names where the value lives and why it was refused; it never contains
    the value, the plaintext or any key material.
    """

    def __init__(self, table: str, column: str, row_id: object, reason: str) -> None:
        super().__init__(f"cannot decrypt {table}.{column} of row {row_id}: {reason}")
        self.table = table
        self.column = column
        self.row_id = row_id
        self.reason = reason


def derive_subkey(key: bytes, purpose: bytes) -> bytes:
    """A 256-bit key for one purpose, independent of the subkeys for any other purpose."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(key)


def associated_data(kid: str, table: str, column: str, row_id: object) -> bytes:
    # Unit separators cannot occur in kids, identifiers or UUIDs: no two places collide.
    return _place(kid, table, column) + str(row_id).encode()


@lru_cache(maxsize=256)
def _place(kid: str, table: str, column: str) -> bytes:
    """The associated data's prefix: every value of a column under one key shares it."""
    return "\x1f".join((VERSION, kid, table, column, "")).encode()


def is_envelope(value: str) -> bool:
    return value.startswith(PREFIX)


def envelope_kid(value: str) -> str | None:
    """The key id an envelope names, or None when the value is no envelope."""
    if not is_envelope(value):
        return None
    kid, sep, _ = value[len(PREFIX) :].partition(":")
    return kid if sep and kid else None


@dataclass(frozen=True)
class ColumnCipher:
    """Seals and opens column values with one keyring (built once at start-up)."""

    keyring: Keyring
    _ciphers: dict[str, AESGCM] = field(init=False, repr=False, compare=False)
    # (envelope, table, column, row id) -> plaintext, oldest first; never in a repr.
    _opened: dict[tuple[str, str, str, object], str] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        ciphers = {
            kid: AESGCM(derive_subkey(key, _AEAD_PURPOSE)) for kid, key in self.keyring.keys.items()
        }
        object.__setattr__(self, "_ciphers", ciphers)

    @property
    def current_kid(self) -> str:
        return self.keyring.current_kid

    def seal(self, plaintext: str, *, table: str, column: str, row_id: object) -> str:
        kid = self.keyring.current_kid
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._ciphers[kid].encrypt(
            nonce, plaintext.encode(), associated_data(kid, table, column, row_id)
        )
        body = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{PREFIX}{kid}:{body}"

    def open(self, envelope: str, *, table: str, column: str, row_id: object) -> str:
        # On every row of every read (twenty per list page), and the same rows come back
        # page after page: a value opened before is one lookup.
        place = (envelope, table, column, row_id)
        opened = self._opened.get(place)
        if opened is None:
            opened = self._decrypt(envelope, table, column, row_id)
            self._remember(place, opened)
        return opened

    def _remember(self, place: tuple[str, str, str, object], plaintext: str) -> None:
        if len(plaintext) > OPENED_MAX_CHARS:
            return
        opened = self._opened
        if len(opened) >= OPENED_ENTRIES:
            del opened[next(iter(opened))]  # the oldest (insertion order)
        opened[place] = plaintext

    def _decrypt(self, envelope: str, table: str, column: str, row_id: object) -> str:
        # No closures, no layers of the base64 module, just the checks and the decryption.
        if not envelope.startswith(PREFIX):
            raise DecryptionError(table, column, row_id, "the value is not an encrypted envelope")
        kid, sep, body = envelope[_PREFIX_LENGTH:].partition(":")
        cipher = self._ciphers.get(kid) if sep and kid else None
        if cipher is None:
            reason = f"key id {kid!r} is not in the keyring" if sep and kid else _MALFORMED
            raise DecryptionError(table, column, row_id, reason)
        try:
            raw = binascii.a2b_base64(
                body.encode("ascii").translate(_FROM_URLSAFE) + b"=" * (-len(body) % 4)
            )
        except (binascii.Error, UnicodeEncodeError):
            raise DecryptionError(table, column, row_id, _MALFORMED) from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError(table, column, row_id, _MALFORMED)
        try:
            plaintext = cipher.decrypt(
                raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated_data(kid, table, column, row_id)
            )
        except InvalidTag:
            raise DecryptionError(
                table,
                column,
                row_id,
                "authentication failed (tampered, or copied from another row or column)",
            ) from None
        try:
            return plaintext.decode()
        except UnicodeDecodeError:  # pragma: no cover - authenticated data was UTF-8
            raise DecryptionError(table, column, row_id, "malformed plaintext") from None

    def needs_rotation(self, value: str) -> bool:
        return envelope_kid(value) != self.keyring.current_kid
