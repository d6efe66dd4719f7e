"""The secret manager: an ordered fallback chain of backends with a TTL cache.

The first backend that has a name wins. A backend that *fails* (as opposed to not
having the name) is reported, never skipped silently, so a required secret cannot
quietly fall back to a weaker source than the operator configured.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from faceless.secrets.base import Secret, SecretBackend
from faceless.secrets.env import EnvBackend
from faceless.secrets.files import FilesBackend
from faceless.settings import Settings


class MissingSecretError(LookupError):
    pass


class SecretBackendError(RuntimeError):
    pass


class SecretManager:
    def __init__(self, backends: Sequence[SecretBackend], *, ttl_seconds: float = 300.0) -> None:
        self.backends = tuple(backends)
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, Secret | None]] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Secret | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        secret = self._lookup(name)
        with self._lock:
            self._cache[name] = (now, secret)
        return secret

    def require(self, name: str) -> Secret:
        secret = self.get(name)
        if secret is None:
            raise MissingSecretError(f"required secret {name} is not set in any backend")
        return secret

    def reload(self) -> None:
        with self._lock:
            self._cache.clear()

    def loaded_values(self) -> list[str]:
        """Plaintext of every cached secret, for the log redactor only."""
        with self._lock:
            return [s.reveal() for _, s in self._cache.values() if s is not None]

    def health(self) -> dict[str, str]:
        return {backend.name: _safe_health(backend) for backend in self.backends}

    def _lookup(self, name: str) -> Secret | None:
        for backend in self.backends:
            try:
                secret = backend.get(name)
            except Exception as exc:
                raise SecretBackendError(
                    f"secret backend {backend.name!r} failed while reading {name}: "
                    f"{type(exc).__name__}"
                ) from exc
            if secret is not None:
                return secret
        return None


def _safe_health(backend: SecretBackend) -> str:
    try:
        return backend.health()
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def build_secret_manager(settings: Settings) -> SecretManager:
    backends: list[SecretBackend] = []
    for name in settings.secrets.backends:
        if name == "env":
            backends.append(EnvBackend())
        elif name == "files":
            backends.append(FilesBackend(settings.secrets_dir))
        else:
            raise ValueError(f"unknown secret backend {name!r} in SECRETS_BACKENDS")
    return SecretManager(backends, ttl_seconds=settings.secrets.cache_ttl_seconds)
