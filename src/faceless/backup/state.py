"""The last successful backup, recorded for ``faceless_backup_last_success_timestamp_seconds``.

A small JSON file under ``var/`` (0600, replaced atomically), written only after the
backup file is complete and linked into place, so the metric and its alert never count
a backup that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import orjson

from faceless.fileio import atomic_write


def record_success(path: Path, *, at: datetime, backup: Path, size: int, sha256: str) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    body = {"at": at.isoformat(), "file": str(backup), "bytes": size, "sha256": sha256}
    atomic_write(path, orjson.dumps(body, option=orjson.OPT_SORT_KEYS) + b"\n", durable_dir=True)


def last_success(path: Path) -> datetime | None:
    """When the last backup succeeded; None when none has (or the record is unreadable)."""
    try:
        data = orjson.loads(path.read_bytes())
        at = datetime.fromisoformat(data["at"])
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None
    return at if at.tzinfo is not None else None
