"""Bodies streamed to disk under a limit, and swapped in atomically with the transaction."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from faceless.media import files


async def _body(*chunks: bytes) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk


async def test_a_body_is_stored_private_with_its_size_and_hash(tmp_path: Path) -> None:
    directory = tmp_path / "var" / "media"
    received = await files.receive(_body(b"abc", b"def"), directory, max_bytes=6)
    assert received.path.parent == directory and received.path.read_bytes() == b"abcdef"
    assert received.size == 6
    assert received.sha256 == hashlib.sha256(b"abcdef").hexdigest()
    assert received.path.stat().st_mode & 0o777 == 0o600
    assert directory.stat().st_mode & 0o777 == 0o700
    assert (tmp_path / "var").stat().st_mode & 0o777 == 0o700


async def test_a_body_over_the_limit_stops_and_leaves_nothing(tmp_path: Path) -> None:
    sent: list[int] = []

    async def endless() -> AsyncIterator[bytes]:
        while True:
            sent.append(1)
            yield b"x" * 1000

    with pytest.raises(files.BodyTooLargeError):
        await files.receive(endless(), tmp_path, max_bytes=4500)
    assert len(sent) == 5  # stopped at the chunk that crossed the limit
    assert list(tmp_path.iterdir()) == []


async def test_a_failing_body_leaves_nothing(tmp_path: Path) -> None:
    async def broken() -> AsyncIterator[bytes]:
        yield b"part"
        raise ConnectionResetError

    with pytest.raises(ConnectionResetError):
        await files.receive(broken(), tmp_path, max_bytes=100)
    assert list(tmp_path.iterdir()) == []


async def test_old_leftovers_are_removed_by_the_next_upload(tmp_path: Path) -> None:
    old, fresh = tmp_path / ".incoming-old", tmp_path / ".incoming-fresh"
    kept = tmp_path / "some-video-id"
    for path in (old, fresh, kept):
        path.write_bytes(b"x")
    day_ago = time.time() - files.STALE_SECONDS - 60
    os.utime(old, (day_ago, day_ago))
    os.utime(kept, (day_ago, day_ago))
    received = await files.receive(_body(b"new"), tmp_path, max_bytes=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [fresh.name, kept.name, received.path.name]
    )


def _incoming(directory: Path, data: bytes) -> Path:
    path = directory / f".incoming-{data.hex()}"
    path.write_bytes(data)
    return path


def test_commit_keeps_the_new_file_and_drops_the_old(tmp_path: Path) -> None:
    final = tmp_path / "video"
    final.write_bytes(b"old")
    placement = files.place(_incoming(tmp_path, b"new"), final)
    assert final.read_bytes() == b"new"
    placement.commit()
    assert [p.name for p in tmp_path.iterdir()] == ["video"]


def test_rollback_puts_the_old_file_back(tmp_path: Path) -> None:
    final = tmp_path / "video"
    final.write_bytes(b"old")
    placement = files.place(_incoming(tmp_path, b"new"), final)
    placement.rollback()
    assert final.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["video"]


def test_rollback_of_a_first_upload_removes_it(tmp_path: Path) -> None:
    placement = files.place(_incoming(tmp_path, b"new"), tmp_path / "video")
    placement.rollback()
    assert list(tmp_path.iterdir()) == []


def test_rollback_leaves_a_newer_upload_alone(tmp_path: Path) -> None:
    final = tmp_path / "video"
    first = files.place(_incoming(tmp_path, b"one"), final)
    second = files.place(_incoming(tmp_path, b"two"), final)
    first.rollback()
    assert final.read_bytes() == b"two"
    second.commit()
    assert [p.name for p in tmp_path.iterdir()] == ["video"]
