"""Secrets from a directory of files, one file per secret (Docker/Kubernetes mounts).

A file readable by group or others is refused rather than used: a secret that any
local account can read is already leaked, and silently using it hides that.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path

from faceless.secrets.base import Secret
from faceless.secrets.errors import SafeSecretError

_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")


class InsecureSecretFileError(SafeSecretError, PermissionError):
    pass


class FilesBackend:
    name = "files"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"FilesBackend({str(self.directory)!r})"

    def get(self, name: str) -> Secret | None:
        if not _NAME.match(name):
            # Names come from code, but never let one become a path traversal.
            raise ValueError(f"invalid secret name {name!r}")
        path = self.directory / name
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            return None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise InsecureSecretFileError(
                f"files: secret file for {name} is accessible by group or others; chmod 600 it"
            )
        value = path.read_text(encoding="utf-8").strip()
        return Secret(name, value, backend=self.name) if value else None

    def reload(self) -> None:
        """Nothing to forget: every ``get`` reads the source afresh."""

    def health(self) -> str:
        if not self.directory.is_dir():
            return "directory missing"
        return "ok"
