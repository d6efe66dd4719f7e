"""SQLite: a consistent copy through the online backup API, and a restore by replacement.

``Connection.backup`` copies the database page by page while the service keeps running
(a writer in between makes it start over), into a private file the caller encrypts and
deletes. A restore writes the decrypted file next to the database (same directory, so
the final rename is atomic), removes the old write-ahead log and shared-memory files
and renames the new file into place; until then the database is untouched.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.engine import make_url

from faceless.backup.errors import BackupError

PAGES_PER_STEP = 4096
_SIDE_FILES = ("-wal", "-shm", "-journal")


def database_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(database)


def snapshot(database: Path, into: Path) -> None:
    """Copy ``database`` (live) into the new file ``into``."""
    if not database.is_file():
        raise BackupError(f"the SQLite database {database} does not exist")
    # mode=rw: never create an empty database where the real one was expected.
    source = sqlite3.connect(database.resolve().as_uri() + "?mode=rw", uri=True)
    try:
        target = sqlite3.connect(into)
        try:
            source.backup(target, pages=PAGES_PER_STEP)
        finally:
            target.close()
    finally:
        source.close()


def replace_with(database: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` as the new database file, then put it in place of ``database``."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(
        dir=database.parent, prefix=f".{database.name}.", suffix=".restoring"
    )
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o600)
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        for suffix in _SIDE_FILES:
            with contextlib.suppress(FileNotFoundError):
                database.with_name(database.name + suffix).unlink()
        os.replace(temp, database)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
