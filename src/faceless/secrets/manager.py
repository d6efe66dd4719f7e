"""The secret manager: an ordered fallback chain of backends with a TTL cache.

The first backend that has a name wins, and the winning backend (and the store's
version) is recorded on the :class:`Secret`. A backend that *fails*, as opposed to
not having the name, is never skipped silently: the failure is logged, kept for
``health()`` and handed to the listeners (the audit trail records it as
``secrets.load_failed``). Then:

- a name this process already loaded keeps its last value from that backend (or a
  higher one) rather than being replaced by a lower-priority source: a Vault outage
  must not quietly swap the Vault key for an older one found in the environment;
- a name never loaded falls through to the next configured backend, as the operator's
  order says. Only configured backends are ever asked.

A failing backend is skipped for ``failure_cooldown`` seconds, so an unreachable store
costs one timeout per cool-down, not one per secret per request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from faceless.logging import get_logger
from faceless.secrets.base import Secret, SecretBackend
from faceless.secrets.errors import SafeSecretError

log = get_logger("faceless.secrets")

Outcome = Literal["success", "failure"]


class MissingSecretError(LookupError):
    pass


class SecretBackendError(RuntimeError):
    """Every configured backend that could have held the name failed."""


@dataclass(frozen=True, slots=True)
class SecretEvent:
    """A load or a failed load: name, backend and outcome; never a value."""

    name: str
    backend: str
    outcome: Outcome
    version: str | None = None
    reason: str | None = None


SecretListener = Callable[[SecretEvent], None]


@dataclass(slots=True)
class _Failure:
    at: float
    reason: str


def failure_reason(exc: BaseException) -> str:
    """Our backends' errors are written to be safe (names and reason classes, no values);
    anything else is reduced to its type, because library messages can echo URLs."""
    if isinstance(exc, SafeSecretError):
        return str(exc)
    return type(exc).__name__


class SecretManager:
    def __init__(
        self,
        backends: Sequence[SecretBackend],
        *,
        ttl_seconds: float = 300.0,
        failure_cooldown: float = 30.0,
    ) -> None:
        self.backends = tuple(backends)
        self.ttl_seconds = ttl_seconds
        self.failure_cooldown = failure_cooldown
        self._rank = {backend.name: index for index, backend in enumerate(self.backends)}
        self._cache: dict[str, tuple[float, Secret | None]] = {}
        # The last value each name had, kept across reloads for the outage rule above.
        self._last_good: dict[str, Secret] = {}
        self._failures: dict[str, _Failure] = {}
        self._refreshed_at = time.monotonic()
        self._listeners: list[SecretListener] = []
        # Guards the dicts only; never held while a backend is asked.
        self._lock = threading.Lock()

    @property
    def backend_names(self) -> list[str]:
        return [backend.name for backend in self.backends]

    def subscribe(self, listener: SecretListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def get(self, name: str) -> Secret | None:
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        self._refresh_snapshots(now)
        # The backends are asked without holding the lock: a slow store must not stall
        # cached reads, nor the log redactor (``loaded_values``) on every log line.
        secret = self._lookup(name, now)
        with self._lock:
            self._cache[name] = (now, secret)
        return secret

    def require(self, name: str) -> Secret:
        secret = self.get(name)
        if secret is None:
            raise MissingSecretError(
                f"required secret {name} is not set in any configured backend "
                f"({', '.join(self.backend_names)})"
            )
        return secret

    def _refresh_snapshots(self, now: float) -> None:
        """Vault and AWS read their store once per snapshot: past the TTL, drop the
        snapshots too, so an expired entry sees the store as it is now."""
        with self._lock:
            if now - self._refreshed_at < self.ttl_seconds:
                return
            self._refreshed_at = now
        for backend in self.backends:  # outside the lock: a backend may be mid-read
            backend.reload()

    def reload(self) -> None:
        """Forget cached values (and backend snapshots) so rotated secrets are read anew."""
        # Snapshots first, then the cache: a concurrent read cannot re-cache an old value.
        for backend in self.backends:
            backend.reload()
        with self._lock:
            self._cache.clear()
            self._failures.clear()
            self._refreshed_at = time.monotonic()

    def loaded_values(self) -> list[str]:
        """Plaintext of every secret loaded so far, for the log redactor only."""
        with self._lock:
            return [secret.reveal() for secret in self._last_good.values()]

    def loaded(self) -> list[Secret]:
        with self._lock:
            return list(self._last_good.values())

    def health(self) -> dict[str, str]:
        states = {}
        for backend in self.backends:
            state = _safe_health(backend)
            with self._lock:
                failure = self._failures.get(backend.name)
            if state == "ok" and failure is not None:
                state = f"failing: {failure.reason}"
            states[backend.name] = state
        return states

    def _lookup(self, name: str, now: float) -> Secret | None:
        failed: list[str] = []
        for backend in self.backends:
            with self._lock:
                failure = self._failures.get(backend.name)
            if failure is not None and now - failure.at < self.failure_cooldown:
                failed.append(backend.name)
                stale = self._stale(name, backend)
                if stale is not None:
                    return stale
                continue
            try:
                secret = backend.get(name)
            except Exception as exc:
                reason = failure_reason(exc)
                with self._lock:
                    self._failures[backend.name] = _Failure(now, reason)
                failed.append(backend.name)
                self._emit(SecretEvent(name, backend.name, "failure", reason=reason))
                stale = self._stale(name, backend)
                if stale is not None:
                    return stale
                continue
            if secret is not None:
                self._remember(secret)
                return secret
        if failed:
            raise SecretBackendError(
                f"secret {name} could not be read: backend(s) {', '.join(failed)} failed "
                "and no later backend has it"
            )
        return None

    def _stale(self, name: str, failing: SecretBackend) -> Secret | None:
        with self._lock:
            previous = self._last_good.get(name)
        if previous is not None and self._rank.get(previous.backend, 0) <= self._rank[failing.name]:
            return previous
        return None

    def _remember(self, secret: Secret) -> None:
        with self._lock:
            previous = self._last_good.get(secret.name)
            self._last_good[secret.name] = secret
        changed = previous is None or (
            (previous.backend, previous.version) != (secret.backend, secret.version)
            or previous != secret
        )
        if changed:
            self._emit(SecretEvent(secret.name, secret.backend, "success", version=secret.version))

    def _emit(self, event: SecretEvent) -> None:
        if event.outcome == "success":
            log.info(
                "secret.loaded", secret=event.name, backend=event.backend, version=event.version
            )
        else:
            log.warning(
                "secret.load_failed", secret=event.name, backend=event.backend, reason=event.reason
            )
        for listener in list(self._listeners):
            listener(event)


def _safe_health(backend: SecretBackend) -> str:
    try:
        return backend.health()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
