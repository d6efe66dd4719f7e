"""Secrets from process environment variables, named exactly as the secret."""

from __future__ import annotations

import os

from faceless.secrets.base import Secret


class EnvBackend:
    name = "env"

    def get(self, name: str) -> Secret | None:
        value = os.environ.get(name)
        return Secret(name, value, backend=self.name) if value else None

    def reload(self) -> None:
        """Nothing to forget: every ``get`` reads the source afresh."""

    def health(self) -> str:
        return "ok"
