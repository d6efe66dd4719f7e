"""What ``faceless serve`` hands the API process it becomes (:mod:`faceless.runtime.api_process`).

Only what the command decided from its options; everything else the API process reads
from the settings, in the same environment. It travels as JSON in the API process's
argv, so it never holds a secret.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class ServeOptions:
    """What the command decided; the rest comes from the settings (the same environment)."""

    host: str
    port: int
    workers: int
    tls: bool  # HTTPS with the configured (or generated) certificate; False: --behind-proxy
    redirect_fd: int | None  # the redirect listener's bound socket, if there is one

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeOptions:
        return cls(**json.loads(text))
