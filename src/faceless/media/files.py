"""Receiving a request body onto disk, and placing it under ``var/`` atomically.

A body is streamed to a fresh private file (0600, in a 0700 directory) beside its final
place, counting and hashing as it arrives and stopping at the limit: it is never held
in memory whole. Once checked, :func:`place` swaps it in with one ``rename``, so a
reader (a download, the publisher) sees the old file or the new one, never a partial
one. The previous file stays reachable through a hard link until the transaction that
recorded the new one has an outcome: :meth:`Placement.commit` drops it,
:meth:`Placement.rollback` puts it back (or removes the new file when there was none),
so the file on disk and the row describing it never disagree.

Leftovers of a process that died mid-upload (names starting with a dot) are removed
once they are a day old, by the next upload to the same directory.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import tempfile
import time
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path

import anyio
from anyio.to_thread import run_sync

from faceless.fileio import private_dirs

__all__ = ["BodyTooLargeError", "Placement", "Received", "place", "receive", "remove"]

_INCOMING = ".incoming-"
_PREVIOUS = ".previous-"
STALE_SECONDS = 24 * 3600.0


class BodyTooLargeError(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(f"the body exceeds {limit} bytes")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class Received:
    path: Path
    size: int
    sha256: str


async def receive(body: AsyncIterable[bytes], directory: Path, *, max_bytes: int) -> Received:
    """Stream ``body`` to a new private file in ``directory``; removed again on any error."""
    path = await run_sync(_create, directory)
    digest = hashlib.sha256()
    size = 0
    try:
        async with await anyio.open_file(path, "wb") as out:
            async for chunk in body:
                size += len(chunk)
                if size > max_bytes:
                    raise BodyTooLargeError(max_bytes)
                digest.update(chunk)
                await out.write(chunk)
            await out.flush()
            await run_sync(os.fsync, out.wrapped.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Received(path, size, digest.hexdigest())


def _create(directory: Path) -> Path:
    private_dirs(directory)
    _remove_stale(directory)
    fd, name = tempfile.mkstemp(dir=directory, prefix=_INCOMING)  # 0600, O_EXCL
    os.close(fd)
    return Path(name)


def _remove_stale(directory: Path) -> None:
    cutoff = time.time() - STALE_SECONDS
    for entry in directory.iterdir():
        if entry.name.startswith((_INCOMING, _PREVIOUS)):
            with contextlib.suppress(OSError):
                if entry.lstat().st_mtime < cutoff:
                    entry.unlink()


@dataclass(frozen=True, slots=True)
class Placement:
    """A file swapped into place whose transaction has not ended yet."""

    final: Path
    inode: int
    previous: Path | None

    def commit(self) -> None:
        if self.previous is not None:
            self.previous.unlink(missing_ok=True)

    def rollback(self) -> None:
        try:
            ours = self.final.stat().st_ino == self.inode
        except FileNotFoundError:
            ours = False
        if not ours:  # replaced again since (or removed): leave the newer state alone
            self.commit()
        elif self.previous is not None:
            os.replace(self.previous, self.final)
        else:
            self.final.unlink(missing_ok=True)


def place(received: Path, final: Path) -> Placement:
    """Swap ``received`` in at ``final`` (same directory) in one rename (blocking)."""
    backup = final.with_name(f"{_PREVIOUS}{final.name}-{secrets.token_hex(6)}")
    previous: Path | None = backup
    try:
        os.link(final, backup)  # the old file, kept until the transaction's outcome
    except FileNotFoundError:
        previous = None
    inode = received.stat().st_ino
    try:
        os.replace(received, final)
    except BaseException:
        if previous is not None:
            previous.unlink(missing_ok=True)
        raise
    _fsync_dir(final.parent)
    return Placement(final, inode, previous)


def remove(path: Path) -> None:
    path.unlink(missing_ok=True)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
