"""The numbers that bound a listener's work, and the per-process count of connections.

``RequestBounds`` is plain, picklable data: ``faceless serve`` builds it once from the
settings and uvicorn hands it (inside its ``Config``) to every worker process.
``ConnectionLedger`` is the live count, one per process, shared by the listeners of
that process (the API and the redirect listener, which runs its own event loop in a
thread, hence the lock).

Connections are *seats*: a connection that finds a free seat when it opens (or when
its next request head is complete) is served until it closes; one that finds none is
answered 503. Beyond the seats a few more connections are held just long enough to
read a head and answer that 503 (``standing_room``); past those a new connection is
closed at once, so client sockets never eat the descriptors the process needs for
its database and Redis pools, logs, uploads and listeners (``FD_RESERVE``).
"""

from __future__ import annotations

import resource
import threading
from dataclasses import dataclass

from faceless.settings import HttpSettings

__all__ = [
    "FD_RESERVE",
    "STANDING_ROOM",
    "ConnectionLedger",
    "RequestBounds",
    "open_file_limit",
]

# Descriptors never given to served connections; STANDING_ROOM of them may hold a
# connection beyond the cap for as long as it takes to answer 503.
FD_RESERVE = 128
STANDING_ROOM = 32


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestBounds:
    """Per listener process: head size and time, body pauses, served connections."""

    max_header_bytes: int = 16 * 1024
    header_timeout: float = 30.0
    body_timeout: float = 30.0
    max_connections: int = 1000
    standing_room: int = STANDING_ROOM

    def __post_init__(self) -> None:
        if self.max_header_bytes < 1 or self.max_connections < 1 or self.standing_room < 0:
            raise ValueError("request bounds must be positive")
        if self.header_timeout <= 0 or self.body_timeout <= 0:
            raise ValueError("request timeouts must be positive")

    @classmethod
    def from_settings(cls, http: HttpSettings, *, open_files: int) -> RequestBounds:
        """The configured bounds, ``MAX_CONNECTIONS`` capped by the open-file limit."""
        room = open_files - FD_RESERVE
        if room < 1:
            raise ValueError(
                f"the open-file limit ({open_files}) leaves no descriptors for connections "
                f"after the {FD_RESERVE} the process keeps; raise it (ulimit -n, LimitNOFILE=)"
            )
        return cls(
            max_header_bytes=http.max_header_bytes,
            header_timeout=http.header_timeout_seconds,
            body_timeout=http.body_timeout_seconds,
            max_connections=min(http.max_connections, room),
        )


def open_file_limit(wanted: int) -> int:
    """The soft ``RLIMIT_NOFILE``, first raised toward the hard limit up to ``wanted``.

    Any process may raise its soft limit up to its hard limit; the common soft default
    (1024) would otherwise cap ``MAX_CONNECTIONS=1000`` well below what was asked.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    ceiling = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < ceiling:
        resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
        soft = ceiling
    return soft if soft != resource.RLIM_INFINITY else wanted


class ConnectionLedger:
    """Connections open and seated in this process; safe across the listeners' threads."""

    def __init__(self, *, seats: int, standing_room: int) -> None:
        self.seats = seats
        self.capacity = seats + standing_room
        self._lock = threading.Lock()
        self._open = 0
        self._seated = 0

    @property
    def open(self) -> int:
        return self._open

    @property
    def seated(self) -> int:
        return self._seated

    def admit(self) -> bool:
        """Count a new connection; False when even the standing room is full."""
        with self._lock:
            if self._open >= self.capacity:
                return False
            self._open += 1
            return True

    def take_seat(self) -> bool:
        with self._lock:
            if self._seated >= self.seats:
                return False
            self._seated += 1
            return True

    def release_seat(self) -> None:
        with self._lock:
            self._seated -= 1

    def leave(self) -> None:
        with self._lock:
            self._open -= 1
