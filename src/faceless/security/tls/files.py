"""Private key files: written owner-only and atomically, refused when others can read them.

A key is written to a fresh temp file in the target directory (``mkstemp`` creates it
0600 with ``O_EXCL``, so no symlink planted at a predictable name is followed) and
renamed into place, so a reader never sees half a key and a crash leaves the old key.
On load, a key that group or others may access is refused rather than merely warned
about: by the time we notice, anyone on the machine may have copied it, and a service
that starts anyway teaches operators to ignore the message.
"""

from __future__ import annotations

import stat
from pathlib import Path

from faceless.fileio import atomic_write, private_dirs
from faceless.security.tls import TlsError

PRIVATE_FILE_MODE = 0o600
PUBLIC_FILE_MODE = 0o644
PRIVATE_DIR_MODE = 0o700


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` (and parents) owner-only; an existing one is left as it is."""
    if not directory.is_dir():
        private_dirs(directory)
        # mkdir's mode is filtered by the umask; say it once more, exactly.
        directory.chmod(PRIVATE_DIR_MODE)


def write_file(path: Path, data: bytes, *, mode: int, overwrite: bool) -> None:
    """Atomically write ``data`` to ``path`` with exactly ``mode``."""
    if not overwrite and (path.exists() or path.is_symlink()):
        raise TlsError(f"{path} already exists; pass --force to replace it")
    atomic_write(path, data, mode=mode)


def check_private_file(path: Path) -> None:
    """Refuse a key file that is missing, not a regular file, or open to group/others."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise TlsError(f"private key {path} does not exist") from None
    except OSError as exc:
        raise TlsError(f"private key {path} cannot be read: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise TlsError(f"private key {path} is not a regular file")
    if info.st_mode & 0o077:
        raise TlsError(
            f"private key {path} has mode {stat.S_IMODE(info.st_mode):04o}: group or others "
            f"can access it. Make it owner-only (chmod 600 {path}; in Kubernetes, "
            "defaultMode: 0400) and consider the key exposed if others could read it."
        )
