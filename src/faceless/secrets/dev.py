"""Development secrets, generated on first start so there are never default keys.

Only the development profile calls this; staging and production must be given
their secrets and refuse to start without them.
"""

from __future__ import annotations

import os
from pathlib import Path

from faceless.crypto.keys import generate_keyring_value
from faceless.fileio import private_dirs

GENERATED_SECRETS = (
    "SECRET_KEY",
    "DATA_ENCRYPTION_KEY",
    "API_TOKEN_HMAC_KEY",
    "BACKUP_ENCRYPTION_KEY",
)


def ensure_dev_secrets(directory: Path) -> list[str]:
    """Create missing generated secrets with mode 0600; return the names created."""
    private_dirs(directory)
    created = []
    for name in GENERATED_SECRETS:
        path = directory / name
        if path.exists():
            continue
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(generate_keyring_value() + "\n")
        created.append(name)
    return created
