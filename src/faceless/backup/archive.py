"""Backup files on disk: written privately and atomically, read back verified.

A backup is written to a hidden ``0600`` file in the target's directory and linked to
its final name only once complete (``link`` refuses to replace an existing file), so a
failed or interrupted backup never leaves a file that looks finished.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from faceless.backup.envelope import EnvelopeReader, EnvelopeWriter
from faceless.backup.errors import BackupError, BackupFormatError
from faceless.backup.manifest import Manifest
from faceless.crypto.keys import Keyring


class PayloadDigest:
    """Size and SHA-256 of the plaintext dump, as the manifest records them."""

    def __init__(self) -> None:
        self.bytes = 0
        self._sha256 = hashlib.sha256()

    def update(self, chunk: bytes) -> None:
        self.bytes += len(chunk)
        self._sha256.update(chunk)

    @property
    def sha256(self) -> str:
        return self._sha256.hexdigest()


class VerifiedStream:
    """The decrypted dump of a backup, checked against its manifest as it streams.

    The last chunk is released only after the manifest authenticated and the size and
    SHA-256 matched; any problem raises :class:`BackupFormatError` before that.
    """

    def __init__(self, source: BinaryIO, keyring: Keyring) -> None:
        self._reader = EnvelopeReader(source, keyring)
        self.manifest: Manifest | None = None

    def __iter__(self) -> Iterator[bytes]:
        digest = PayloadDigest()
        for chunk in self._reader.chunks():
            digest.update(chunk)
            if self._reader.manifest is not None:
                self._check(digest)
            yield chunk
        if self.manifest is None:
            self._check(digest)

    def _check(self, digest: PayloadDigest) -> None:
        assert self._reader.manifest is not None
        manifest = Manifest.parse(self._reader.manifest)
        if (digest.bytes, digest.sha256) != (manifest.payload_bytes, manifest.payload_sha256):
            raise BackupFormatError("the data does not match the size and SHA-256 in the manifest")
        self.manifest = manifest


def open_backup(path: Path) -> BinaryIO:
    """Open for reading, refusing a symlink (a backup is always a plain file)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        raise BackupError(f"{path} does not exist") from None
    except OSError as exc:
        raise BackupError(f"{path} cannot be opened ({exc.strerror})") from None
    return os.fdopen(fd, "rb")


def verify_file(path: Path, keyring: Keyring) -> Manifest:
    """Read the whole file; its manifest when every frame authenticated."""
    with open_backup(path) as source:
        stream = VerifiedStream(source, keyring)
        for _chunk in stream:
            pass
    assert stream.manifest is not None
    return stream.manifest


@contextlib.contextmanager
def new_backup_file(path: Path, keyring: Keyring) -> Iterator[EnvelopeWriter]:
    """An envelope writing to a private temp file that becomes ``path`` on success."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            yield EnvelopeWriter(out, keyring)
            out.flush()
            os.fsync(out.fileno())
        try:
            os.link(temp, path)
        except FileExistsError:
            raise BackupError(f"{path} already exists; choose another --output") from None
        _sync_directory(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
