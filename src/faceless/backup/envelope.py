"""The backup file: a stream of AES-256-GCM frames, authenticated end to end.

Design:

* Layout: ``MAGIC`` (names the format and its version), a length-prefixed JSON header
  (key id, a random 256-bit salt, the chunk size; nothing secret), then frames of
  ``kind (1 byte) | length (4 bytes) | ciphertext + tag``. Data frames carry at most one
  chunk of the database dump each; the last frame is the manifest, and the file ends
  right after it.
* Key: HKDF-SHA256 of the ``BACKUP_ENCRYPTION_KEY`` entry named in the header, salted
  with the file's own salt. Every file has its own AES key, so the frame counter can be
  the nonce (frame ``n`` uses ``n``): no nonce repeats under a key, and no random nonce
  budget is spent however large the database.
* Associated data binds each frame to the whole header (its SHA-256), to its position
  (the counter) and to its kind. Reordered, dropped, duplicated or flipped frames, an
  edited header and a file made with another key all fail authentication; a file cut
  short lacks the manifest frame; bytes after the manifest are refused.
* Streaming both ways: a writer holds one chunk, a reader one frame, whatever the size
  of the database. A reader hands out a chunk only once the *next* frame has
  authenticated, so the consumer (``pg_restore`` in one transaction, a SQLite file not
  yet renamed into place) sees the end of the data only when the whole file is genuine.
* Sizes read from the file are bounded before anything is allocated.

Errors are :class:`BackupFormatError` with a message that names the problem and never
any key material.
"""

from __future__ import annotations

import hashlib
import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from faceless.backup.errors import BackupFormatError
from faceless.crypto.keys import Keyring

MAGIC = b"FACELESS-BACKUP\x01"
CHUNK_BYTES = 1024 * 1024
MAX_CHUNK_BYTES = 16 * 1024 * 1024
MAX_HEADER_BYTES = 4096
MAX_MANIFEST_BYTES = 64 * 1024
TAG_BYTES = 16
SALT_BYTES = 32
DATA, MANIFEST = 1, 2
_PURPOSE = b"faceless/backup/v1"
_LENGTH = struct.Struct(">H")
_FRAME = struct.Struct(">BI")
_KID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


@dataclass(frozen=True, slots=True)
class Header:
    kid: str
    salt: bytes
    chunk_bytes: int

    def encode(self) -> bytes:
        return orjson.dumps(
            {"chunk_bytes": self.chunk_bytes, "kid": self.kid, "salt": self.salt.hex()},
            option=orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def parse(cls, raw: bytes) -> Header:
        try:
            data = orjson.loads(raw)
            kid, salt, chunk = data["kid"], bytes.fromhex(data["salt"]), data["chunk_bytes"]
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise BackupFormatError("the header is malformed") from None
        valid = (
            isinstance(kid, str)
            and _KID.match(kid) is not None
            and len(salt) == SALT_BYTES
            and isinstance(chunk, int)
            and 0 < chunk <= MAX_CHUNK_BYTES
        )
        if not valid:
            raise BackupFormatError("the header is malformed")
        return cls(kid, salt, chunk)


def _cipher(keyring: Keyring, header: Header) -> AESGCM:
    key = keyring.keys.get(header.kid)
    if key is None:
        raise BackupFormatError(
            f"made with key id {header.kid!r}, which BACKUP_ENCRYPTION_KEY does not hold"
        )
    derived = HKDF(hashes.SHA256(), length=32, salt=header.salt, info=_PURPOSE).derive(key)
    return AESGCM(derived)


def _nonce(counter: int) -> bytes:
    return counter.to_bytes(12, "big")


def _aad(header_digest: bytes, counter: int, kind: int) -> bytes:
    return header_digest + counter.to_bytes(8, "big") + bytes([kind])


class EnvelopeWriter:
    """Encrypts a stream into ``out``: :meth:`write` the data, then :meth:`finish`."""

    def __init__(self, out: BinaryIO, keyring: Keyring, *, chunk_bytes: int = CHUNK_BYTES):
        header = Header(keyring.current_kid, os.urandom(SALT_BYTES), chunk_bytes)
        encoded = header.encode()
        prefix = MAGIC + _LENGTH.pack(len(encoded)) + encoded
        out.write(prefix)
        self._out = out
        self._digest = hashlib.sha256(prefix).digest()
        self._cipher = _cipher(keyring, header)
        self._chunk_bytes = chunk_bytes
        self._buffer = bytearray()
        self._counter = 0

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= self._chunk_bytes:
            self._frame(DATA, bytes(self._buffer[: self._chunk_bytes]))
            del self._buffer[: self._chunk_bytes]

    def finish(self, manifest: bytes) -> None:
        if self._buffer:
            self._frame(DATA, bytes(self._buffer))
            self._buffer.clear()
        self._frame(MANIFEST, manifest)

    def _frame(self, kind: int, plaintext: bytes) -> None:
        counter = self._counter
        self._counter += 1
        sealed = self._cipher.encrypt(_nonce(counter), plaintext, _aad(self._digest, counter, kind))
        self._out.write(_FRAME.pack(kind, len(sealed)) + sealed)


class EnvelopeReader:
    """Decrypts ``source``: iterate :meth:`chunks`; afterwards :attr:`manifest` is set."""

    def __init__(self, source: BinaryIO, keyring: Keyring) -> None:
        self._source = source
        if self._exactly(len(MAGIC), "the format marker") != MAGIC:
            raise BackupFormatError("not a faceless backup (or a format this version cannot read)")
        (length,) = _LENGTH.unpack(self._exactly(_LENGTH.size, "the header"))
        if length > MAX_HEADER_BYTES:
            raise BackupFormatError("the header is malformed")
        encoded = self._exactly(length, "the header")
        self.header = Header.parse(encoded)
        self._digest = hashlib.sha256(MAGIC + _LENGTH.pack(length) + encoded).digest()
        self._cipher = _cipher(keyring, self.header)
        self.manifest: bytes | None = None

    def _exactly(self, size: int, what: str) -> bytes:
        data = self._source.read(size)
        if len(data) != size:
            raise BackupFormatError(f"truncated: the file ends inside {what}")
        return data

    def _frames(self) -> Iterator[tuple[int, bytes]]:
        counter = 0
        while True:
            head = self._source.read(_FRAME.size)
            if not head:
                raise BackupFormatError("truncated: the manifest at the end is missing")
            if len(head) != _FRAME.size:
                raise BackupFormatError(f"truncated: the file ends inside frame {counter}")
            kind, length = _FRAME.unpack(head)
            limit = self.header.chunk_bytes if kind == DATA else MAX_MANIFEST_BYTES
            if kind not in (DATA, MANIFEST) or not TAG_BYTES < length <= limit + TAG_BYTES:
                raise BackupFormatError(f"frame {counter} is malformed")
            sealed = self._exactly(length, f"frame {counter}")
            try:
                plaintext = self._cipher.decrypt(
                    _nonce(counter), sealed, _aad(self._digest, counter, kind)
                )
            except InvalidTag:
                raise BackupFormatError(
                    f"frame {counter} failed authentication: the file is damaged or was "
                    "altered, or it was made with another key of the same id"
                ) from None
            yield kind, plaintext
            if kind == MANIFEST:
                return
            counter += 1

    def chunks(self) -> Iterator[bytes]:
        """The data, each chunk released only after the frame behind it authenticated."""
        pending: bytes | None = None
        for kind, plaintext in self._frames():
            if pending is not None and kind == DATA:
                yield pending
            if kind == MANIFEST:
                if self._source.read(1):
                    raise BackupFormatError("unexpected bytes after the manifest")
                self.manifest = plaintext
                if pending is not None:
                    yield pending
                return
            pending = plaintext
