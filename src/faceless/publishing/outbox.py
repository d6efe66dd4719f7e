"""The default publisher: a package per video in an outbox folder for an uploader.

Layout: ``<outbox>/<video_id>/metadata.json`` plus ``captions.srt`` and
``captions.vtt`` when the video has a transcript. Uploaders must ignore names
starting with a dot: those are work in progress.

A package appears all at once or not at all: it is written into a private temp
dir inside the outbox (same file system), every file and the dir are fsynced, and
the dir is renamed to its final name. ``rename`` onto an existing non-empty dir
fails, so two writers racing for one video cannot interleave. A final dir that
already holds the same schedule id means an earlier attempt got that far before
its worker died: it is left alone and reported as already published (a retry
never writes twice). A package from an *older* schedule of the same video is
replaced. Dirs are 0700 and files 0600: packages hold unpublished material.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path

import anyio.to_thread

from faceless.db.base import utcnow
from faceless.fileio import private_dirs
from faceless.publishing.base import PublishError, PublishPackage, PublishReceipt

logger = logging.getLogger(__name__)

METADATA = "metadata.json"
SRT = "captions.srt"
VTT = "captions.vtt"
FORMAT_VERSION = 1
# Leftovers of writers that died mid-write are removed after this long.
STALE_TEMP_SECONDS = 3600.0
_TEMP_PREFIX = ".tmp-"
_OLD_PREFIX = ".old-"


class OutboxPublisher:
    name = "outbox"

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    async def publish(self, package: PublishPackage) -> PublishReceipt:
        try:
            return await anyio.to_thread.run_sync(self.write, package)
        except OSError as exc:
            # Full disk, permissions: the operator's problem, logged with the details.
            logger.exception("writing the outbox package for video %s failed", package.video_id)
            raise PublishError("The package could not be written to the outbox.") from exc

    def write(self, package: PublishPackage) -> PublishReceipt:
        """Write the package (blocking). Public so tools and tests can call it directly."""
        root = self.outbox_dir
        private_dirs(root)
        _remove_stale_leftovers(root)
        final = root / str(package.video_id)
        reference = f"outbox:{package.video_id}"
        if _schedule_id_in(final) == str(package.schedule_id):
            return PublishReceipt(self.name, reference, already_published=True)

        temp = Path(tempfile.mkdtemp(prefix=_TEMP_PREFIX, dir=root))  # created 0700
        superseded: Path | None = None
        try:
            _write_files(temp, package)
            _fsync_dir(temp)
            if final.exists():
                if _schedule_id_in(final) == str(package.schedule_id):
                    return PublishReceipt(self.name, reference, already_published=True)
                superseded = root / f"{_OLD_PREFIX}{package.video_id}-{os.urandom(6).hex()}"
                with contextlib.suppress(FileNotFoundError):
                    os.rename(final, superseded)
            try:
                os.rename(temp, final)
            except OSError as exc:
                if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                    raise
                # Another writer got there first; it is only "ours" if it is this schedule.
                if _schedule_id_in(final) == str(package.schedule_id):
                    return PublishReceipt(self.name, reference, already_published=True)
                raise PublishError(
                    "The outbox already holds another package for this video."
                ) from None
            _fsync_dir(root)
        finally:
            shutil.rmtree(temp, ignore_errors=True)
            if superseded is not None:
                shutil.rmtree(superseded, ignore_errors=True)
        return PublishReceipt(self.name, reference)


def _metadata(package: PublishPackage) -> dict[str, object]:
    captions = {}
    if package.captions_srt is not None:
        captions["srt"] = SRT
    if package.captions_vtt is not None:
        captions["vtt"] = VTT
    return {
        "format": FORMAT_VERSION,
        "video_id": str(package.video_id),
        "schedule_id": str(package.schedule_id),
        "title": package.title,
        "description": package.description,
        "tags": list(package.tags),
        "privacy": package.privacy,
        "publish_at": package.publish_at.isoformat(),
        "captions": captions,
        "captions_language": package.captions_language,
        "made_for_kids": package.made_for_kids,
        "contains_synthetic_media": package.contains_synthetic_media,
        "category_id": package.category_id,
        "default_language": package.default_language,
        "written_at": utcnow().isoformat(),
    }


def _write_files(directory: Path, package: PublishPackage) -> None:
    body = json.dumps(_metadata(package), ensure_ascii=False, indent=2) + "\n"
    _write_private(directory / METADATA, body)
    if package.captions_srt is not None:
        _write_private(directory / SRT, package.captions_srt)
    if package.captions_vtt is not None:
        _write_private(directory / VTT, package.captions_vtt)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(text.encode("utf-8"))
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _schedule_id_in(final: Path) -> str | None:
    try:
        data = json.loads((final / METADATA).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError):
        return ""  # unreadable: not a package of any schedule we know, so it gets replaced
    value = data.get("schedule_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) else ""


def _remove_stale_leftovers(root: Path) -> None:
    cutoff = time.time() - STALE_TEMP_SECONDS
    for entry in root.iterdir():
        if not entry.name.startswith((_TEMP_PREFIX, _OLD_PREFIX)):
            continue
        with contextlib.suppress(OSError):
            if entry.lstat().st_mtime < cutoff:
                shutil.rmtree(entry, ignore_errors=True)
