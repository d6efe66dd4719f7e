"""The outbox publisher writes each package atomically, privately and only once."""

from __future__ import annotations

import json
import os
import stat
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from faceless.publishing import PublishError, PublishPackage
from faceless.publishing.outbox import OutboxPublisher


def _package(**changes: object) -> PublishPackage:
    fields: dict[str, object] = {
        "video_id": uuid.uuid4(),
        "schedule_id": uuid.uuid4(),
        "title": "Foxes, explained",
        "description": "Everything about foxes. Ünïcödé too.",
        "tags": ("fox", "forest"),
        "privacy": "unlisted",
        "publish_at": datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        "captions_srt": "1\n00:00:00,000 --> 00:00:01,000\nhello\n",
        "captions_vtt": "WEBVTT\n\n00:00:00.000 --> 00:00:01.000\nhello\n",
        "captions_language": "en",
    }
    fields.update(changes)
    return PublishPackage(**fields)  # type: ignore[arg-type]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _entries(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir())


async def test_package_layout_content_and_permissions(tmp_path: Path) -> None:
    outbox = tmp_path / "outbox"
    package = _package()
    receipt = await OutboxPublisher(outbox).publish(package)
    assert receipt.publisher == "outbox"
    assert receipt.reference == f"outbox:{package.video_id}"
    assert not receipt.already_published

    final = outbox / str(package.video_id)
    assert _entries(outbox) == [str(package.video_id)]  # no temp dir left behind
    assert _entries(final) == ["captions.srt", "captions.vtt", "metadata.json"]
    assert _mode(outbox) == _mode(final) == 0o700
    assert {_mode(p) for p in final.iterdir()} == {0o600}
    metadata = json.loads((final / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["schedule_id"] == str(package.schedule_id)
    assert metadata["video_id"] == str(package.video_id)
    assert metadata["title"] == package.title
    assert metadata["description"] == package.description
    assert metadata["tags"] == ["fox", "forest"]
    assert metadata["privacy"] == "unlisted"
    assert metadata["publish_at"] == "2030-01-02T03:04:05+00:00"
    assert metadata["captions"] == {"srt": "captions.srt", "vtt": "captions.vtt"}
    assert metadata["made_for_kids"] is False
    assert metadata["contains_synthetic_media"] is False
    assert metadata["category_id"] == "22"
    assert metadata["default_language"] is None
    assert (final / "captions.vtt").read_text(encoding="utf-8") == package.captions_vtt
    assert (final / "captions.srt").read_text(encoding="utf-8") == package.captions_srt


def test_the_disclosures_are_in_the_metadata(tmp_path: Path) -> None:
    package = _package(
        made_for_kids=True,
        contains_synthetic_media=True,
        category_id="27",
        default_language="pt-BR",
    )
    OutboxPublisher(tmp_path).write(package)
    metadata = json.loads((tmp_path / str(package.video_id) / "metadata.json").read_text())
    assert {key: metadata[key] for key in ("made_for_kids", "contains_synthetic_media")} == {
        "made_for_kids": True,
        "contains_synthetic_media": True,
    }
    assert (metadata["category_id"], metadata["default_language"]) == ("27", "pt-BR")


def test_without_captions_only_metadata_is_written(tmp_path: Path) -> None:
    package = _package(captions_srt=None, captions_vtt=None, captions_language=None)
    OutboxPublisher(tmp_path).write(package)
    final = tmp_path / str(package.video_id)
    assert _entries(final) == ["metadata.json"]
    assert json.loads((final / "metadata.json").read_text())["captions"] == {}


def test_existing_package_of_the_same_schedule_is_left_alone(tmp_path: Path) -> None:
    publisher = OutboxPublisher(tmp_path)
    package = _package()
    publisher.write(package)
    final = tmp_path / str(package.video_id)
    before = {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in final.iterdir()
    }
    dir_inode = final.stat().st_ino

    # A retry (even with changed content) never writes a second time.
    receipt = publisher.write(
        _package(video_id=package.video_id, schedule_id=package.schedule_id, title="Other")
    )
    assert receipt.already_published
    assert final.stat().st_ino == dir_inode
    after = {
        p.name: (p.stat().st_ino, p.stat().st_mtime_ns, p.read_bytes()) for p in final.iterdir()
    }
    assert after == before
    assert _entries(tmp_path) == [str(package.video_id)]


def test_a_later_schedule_replaces_the_package(tmp_path: Path) -> None:
    publisher = OutboxPublisher(tmp_path)
    first = _package()
    publisher.write(first)
    second = _package(video_id=first.video_id, captions_srt=None, captions_vtt=None)
    assert not publisher.write(second).already_published
    final = tmp_path / str(first.video_id)
    assert json.loads((final / "metadata.json").read_text())["schedule_id"] == str(
        second.schedule_id
    )
    assert _entries(final) == ["metadata.json"]
    assert _entries(tmp_path) == [str(first.video_id)]


async def test_a_failed_write_leaves_nothing_behind_and_the_old_package_intact(
    tmp_path: Path,
) -> None:
    publisher = OutboxPublisher(tmp_path)
    old = _package()
    publisher.write(old)
    # A lone surrogate cannot be encoded: the write fails after metadata.json is on disk.
    broken = _package(video_id=old.video_id, captions_vtt="WEBVTT\n\n\ud800")
    with pytest.raises(UnicodeEncodeError):
        publisher.write(broken)
    assert _entries(tmp_path) == [str(old.video_id)]
    metadata = json.loads((tmp_path / str(old.video_id) / "metadata.json").read_text())
    assert metadata["schedule_id"] == str(old.schedule_id)

    fresh = _package(captions_srt="\udfff")
    with pytest.raises(UnicodeEncodeError):
        publisher.write(fresh)
    assert _entries(tmp_path) == [str(old.video_id)]


async def test_unwritable_outbox_is_a_publish_error(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "outbox"
    not_a_dir.write_text("a file where the outbox should be")
    with pytest.raises(PublishError, match="could not be written"):
        await OutboxPublisher(not_a_dir).publish(_package())


def test_readers_never_see_a_partial_package(tmp_path: Path) -> None:
    publisher = OutboxPublisher(tmp_path)
    packages = [_package() for _ in range(40)]
    done = threading.Event()
    problems: list[str] = []
    seen: set[str] = set()

    def watch() -> None:
        while not done.is_set():
            for entry in os.scandir(tmp_path):
                if entry.name.startswith("."):
                    continue  # work in progress, by contract
                names = set(os.listdir(entry.path))
                if names != {"metadata.json", "captions.srt", "captions.vtt"}:
                    problems.append(f"{entry.name}: {sorted(names)}")
                seen.add(entry.name)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for package in packages:
            publisher.write(package)
    finally:
        done.set()
        watcher.join()
    assert problems == []
    assert len(seen) > 0
    assert set(_entries(tmp_path)) == {str(p.video_id) for p in packages}


def test_concurrent_writers_of_one_schedule_write_once(tmp_path: Path) -> None:
    package = _package()
    barrier = threading.Barrier(4)
    receipts = []

    def write() -> None:
        barrier.wait()
        receipts.append(OutboxPublisher(tmp_path).write(package))

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(receipts) == 4
    assert sorted(r.already_published for r in receipts) == [False, True, True, True]
    assert _entries(tmp_path) == [str(package.video_id)]
    metadata = json.loads((tmp_path / str(package.video_id) / "metadata.json").read_text())
    assert metadata["schedule_id"] == str(package.schedule_id)
