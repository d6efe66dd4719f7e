"""Readiness checks: each returns "ok" or a short reason, within a bounded time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from faceless.db.engine import ping
from faceless.secrets import SecretManager
from faceless.worker.queue import JobQueue

CHECK_TIMEOUT_SECONDS = 2.0


class ReadinessTarget(Protocol):
    """What readiness looks at (the runtime container)."""

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def queue(self) -> JobQueue: ...

    @property
    def secrets(self) -> SecretManager: ...


async def _database(target: ReadinessTarget) -> str:
    await ping(target.engine)
    return "ok"


async def _queue(target: ReadinessTarget) -> str:
    return await target.queue.health()


async def _secrets(target: ReadinessTarget) -> str:
    states = await asyncio.to_thread(target.secrets.health)
    failing = [name for name, state in states.items() if state != "ok"]
    return "ok" if not failing else "unavailable: " + ", ".join(sorted(failing))


Check = Callable[[ReadinessTarget], Awaitable[str]]
CHECKS: dict[str, Check] = {
    "database": _database,
    "queue": _queue,
    "secrets": _secrets,
}


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
    results = await asyncio.gather(*(_run(CHECKS[name], target) for name in names))
    return dict(zip(names, results, strict=True))
