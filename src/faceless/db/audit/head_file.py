"""The chain head export file: strict parsing, atomic replacement, a cross-process lock.

Design:

* The file is replaced, never edited: a private temporary file in the same directory is
  written, fsynced and renamed over the old one, then the directory is fsynced. A reader
  (``faceless audit verify``, another exporter) therefore sees either the previous export
  or the new one, never half of one, even after a crash.
* File and lock are ``0600``, their directory ``0700``: the export names no secret, but
  only the service account should be able to replace it.
* Several processes export (every API process, the scheduler, Celery workers). They
  serialise on ``flock`` of a sibling ``.lock`` file. ``flock`` locks belong to the open
  file description, so two exporters inside one process exclude each other as well. The
  lock is taken with non-blocking attempts on the event loop, so a cancelled exporter
  never leaves a thread blocked on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import re
import stat
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from faceless.fileio import atomic_write

LOCK_POLL_SECONDS = 0.01
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_KID = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


class ExportFormatError(ValueError):
    """The file exists but is not a well-formed head export."""


@dataclass(frozen=True, slots=True)
class HeadExport:
    """One export record, exactly as written to the file and logged."""

    last_id: int
    last_hash: str
    exported_at: str
    kid: str
    hmac: str

    def as_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def parse(cls, raw: bytes) -> HeadExport:
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise ExportFormatError("not JSON") from None
        if not isinstance(data, dict) or set(data) != {
            "last_id",
            "last_hash",
            "exported_at",
            "kid",
            "hmac",
        }:
            raise ExportFormatError("unexpected fields")
        last_id, last_hash = data["last_id"], data["last_hash"]
        exported_at, kid, mac = data["exported_at"], data["kid"], data["hmac"]
        valid = (
            isinstance(last_id, int)
            and not isinstance(last_id, bool)
            and last_id >= 0
            and isinstance(last_hash, str)
            and _HEX64.match(last_hash) is not None
            and isinstance(exported_at, str)
            and 0 < len(exported_at) <= 64
            and isinstance(kid, str)
            and _KID.match(kid) is not None
            and isinstance(mac, str)
            and _HEX64.match(mac) is not None
        )
        if not valid:
            raise ExportFormatError("a field is malformed")
        return cls(last_id, last_hash, exported_at, kid, mac)


def read_export(path: Path) -> HeadExport | None:
    """The export in ``path``; None when there is none yet. Raises ExportFormatError."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    return HeadExport.parse(raw)


def ensure_private_dir(directory: Path) -> None:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = directory.stat()
    # Tighten a directory we own (e.g. made by an older version or a umask); leave a
    # directory somebody else provided alone rather than fail the export.
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
        directory.chmod(0o700)


def write_export(path: Path, export: HeadExport) -> None:
    """Atomically replace ``path`` with ``export`` (mode 0600)."""
    ensure_private_dir(path.parent)
    body = orjson.dumps(export.as_dict(), option=orjson.OPT_SORT_KEYS) + b"\n"
    # The rename is durable only once the directory entry is: an export must survive.
    atomic_write(path, body, durable_dir=True)


def _open_lock(path: Path) -> int:
    ensure_private_dir(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    return os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)


@contextlib.asynccontextmanager
async def locked(path: Path) -> AsyncIterator[None]:
    """Hold the exclusive export lock for ``path`` (across processes and within one)."""
    fd = _open_lock(path)  # a local open: quick, and no descriptor can leak on cancel
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(LOCK_POLL_SECONDS)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
