"""Readiness checks: each returns "ok" or a short reason, within a bounded time.

Readiness is anonymous, and each check is a live call to a backend (the database,
the broker, Vault or AWS): unthrottled, every request would be a free amplifier
against them. So each backend is asked at most once per ``CACHE_SECONDS`` per
process: its answer is reused until then, and a burst of requests shares the one
probe in flight.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from faceless.db.engine import ping
from faceless.publishing.base import Publisher
from faceless.publishing.status import credentials_state
from faceless.secrets import SecretManager
from faceless.worker.queue import JobQueue

CHECK_TIMEOUT_SECONDS = 2.0
CACHE_SECONDS = 5.0


class ReadinessCache:
    """Each check's latest probe, reused for ``ttl`` seconds from when it started."""

    def __init__(
        self, *, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._clock = clock
        self._probes: dict[str, tuple[float, asyncio.Future[str]]] = {}

    async def answer(self, name: str, probe: Callable[[], Awaitable[str]]) -> str:
        now = self._clock()
        latest = self._probes.get(name)
        if latest is None or now - latest[0] >= self._ttl:
            latest = (now, asyncio.ensure_future(probe()))
            self._probes[name] = latest
        # Shielded: a client that goes away does not cancel the probe others wait on.
        return await asyncio.shield(latest[1])


class ReadinessTarget(Protocol):
    """What readiness looks at (the runtime container)."""

    @property
    def readiness_cache(self) -> ReadinessCache: ...

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def queue(self) -> JobQueue: ...

    @property
    def secrets(self) -> SecretManager: ...

    @property
    def read_sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def publisher(self) -> Publisher: ...


async def _database(target: ReadinessTarget) -> str:
    await ping(target.engine)
    return "ok"


async def _queue(target: ReadinessTarget) -> str:
    return await target.queue.health()


async def _secrets(target: ReadinessTarget) -> str:
    states = await asyncio.to_thread(target.secrets.health)
    failing = [name for name, state in states.items() if state != "ok"]
    return "ok" if not failing else "unavailable: " + ", ".join(sorted(failing))


async def _publisher(target: ReadinessTarget) -> str:
    async with target.read_sessions() as session:
        return await credentials_state(session, target.publisher)


Check = Callable[[ReadinessTarget], Awaitable[str]]
CHECKS: dict[str, Check] = {
    "database": _database,
    "queue": _queue,
    "secrets": _secrets,
    "publisher": _publisher,
}
# Reported, but not a reason to take the instance out of rotation: refused publisher
# credentials stop publishing only, and need an operator, not a restart.
ADVISORY = frozenset({"publisher"})


def is_ready(checks: dict[str, str]) -> bool:
    return all(state == "ok" for name, state in checks.items() if name not in ADVISORY)


async def _run(check: Check, target: ReadinessTarget) -> str:
    try:
        return await asyncio.wait_for(check(target), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        # Type only: exception text can carry hosts or credentials from a URL.
        return f"error: {type(exc).__name__}"


async def readiness(target: ReadinessTarget) -> dict[str, str]:
    names = list(CHECKS)
    cache = target.readiness_cache
    results = await asyncio.gather(
        *(cache.answer(name, partial(_run, CHECKS[name], target)) for name in names)
    )
    return dict(zip(names, results, strict=True))
