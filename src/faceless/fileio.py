"""Private directories and atomic, private file writes: how the service writes under var/."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600, durable_dir: bool = False) -> None:
    """Replace ``path`` with ``data``, never leaving a partial file, with exactly ``mode``.

    The temp file is created by ``mkstemp`` (0600, O_EXCL: nothing else can open it first)
    in the same directory, synced, then renamed over ``path``. ``durable_dir`` also syncs
    the directory entry, for records that must survive a crash right after the write.
    """
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as tmp:
            os.fchmod(tmp.fileno(), mode)
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    if durable_dir:
        dir_fd = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def private_dirs(path: Path) -> None:
    """Create ``path`` and every missing parent with mode 0700.

    ``Path.mkdir(parents=True, mode=...)`` applies the mode to the last directory only;
    the parents get the umask's (often 0755), which would leave ``var/`` itself
    readable by other local users when a nested directory is created first.
    """
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # created concurrently: keep theirs
            directory.mkdir(mode=0o700)
