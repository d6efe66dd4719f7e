"""Secrets from a ``.env`` file: a development convenience.

Production refuses this backend unless ``SECRETS_ALLOW_DOTENV`` says otherwise (see
:mod:`faceless.secrets.factory`): a file of plaintext secrets in the working directory
is exactly what ends up in an image or a backup by accident. Outside development the
file must also be private to its owner, like the secrets directory's files.
"""

from __future__ import annotations

import stat
from pathlib import Path

from dotenv import dotenv_values

from faceless.secrets.base import Secret
from faceless.secrets.errors import SafeSecretError


class DotenvBackend:
    name = "dotenv"

    def __init__(self, path: Path, *, require_private: bool) -> None:
        self.path = path
        self.require_private = require_private
        self._values: dict[str, str] | None = None

    def __repr__(self) -> str:
        return f"DotenvBackend({str(self.path)!r})"

    def get(self, name: str) -> Secret | None:
        if self._values is None:
            self._values = self._read()
        value = self._values.get(name)
        return Secret(name, value, backend=self.name) if value else None

    def reload(self) -> None:
        self._values = None

    def health(self) -> str:
        return "ok" if self.path.is_file() else "file missing"

    def _read(self) -> dict[str, str]:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            return {}
        if self.require_private and mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SafeSecretError(
                f"dotenv: {self.path} is accessible by group or others; chmod 600 it"
            )
        return {key: value for key, value in dotenv_values(self.path).items() if value}
