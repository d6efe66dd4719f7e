"""Readiness checks: each returns "ok" or a short reason, within a bounded time."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import text

from faceless.services import Services

CHECK_TIMEOUT_SECONDS = 2.0


async def _database(services: Services) -> str:
    async with services.engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
    return "ok"


async def _queue(services: Services) -> str:
    return await services.queue.health()


async def _secrets(services: Services) -> str:
    states = await asyncio.to_thread(services.secrets.health)
    failing = [name for name, state in states.items() if state != "ok"]
    return "ok" if not failing else "unavailable: " + ", ".join(sorted(failing))


CHECKS: dict[str, Callable[[Services], Awaitable[str]]] = {
    "database": _database,
    "queue": _queue,
    "secrets": _secrets,
}


async def _run(check: Callable[[Services], Awaitable[str]], services: Services) -> str:
    try:
        return await asyncio.wait_for(check(services), CHECK_TIMEOUT_SECONDS)
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        # Type only: exception text can carry hosts or credentials from a URL.
        return f"error: {type(exc).__name__}"


async def readiness(services: Services) -> dict[str, str]:
    names = list(CHECKS)
    results = await asyncio.gather(*(_run(CHECKS[name], services) for name in names))
    return dict(zip(names, results, strict=True))
