"""A pooled connection's driver connection, without SQLAlchemy's connection around it.

The hot read and write paths (``db.fast_read``, ``db.fast_write``) run one statement on
the database driver itself. Checking out through ``AsyncEngine.raw_connection`` keeps one
pool for everything (``DATABASE_POOL_SIZE`` stays the one knob) at half the cost of an
``AsyncConnection`` under load (issue 11). Nothing here begins a transaction, so each
statement is its own and the pool's reset at check-in has nothing to undo; a connection
left in an unknown state is invalidated, never handed to the next request.

Checkouts take turns, first come first served. SQLAlchemy's asyncio pool hands a
returned connection to whichever coroutine asks next, and a waiter that loses it to a
newcomer queues again at the back: under more clients than connections, a few requests
waited seconds while the rest took milliseconds (p99 2.5 s against a p50 of 36 ms at 64
connections, issue 11). A FIFO semaphore puts the hot paths in line before they touch it.

While the line is busy, a connection coming back from a hot path is kept for the next one
instead of going back to the pool (ADR 0031): under load, the pool's checkout and
check-in (a greenlet hop each, events, reset) cost about 170 µs of CPU per request, a
fifth of a list request. The line is narrower than the pool, so the ORM's paths always
find connections in the pool; a kept connection goes back to the pool as soon as the
line is quiet, and after ``TENURE_SECONDS`` at most, so the pool's recycling applies.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

# A kept connection goes back to the pool after this long at the latest.
TENURE_SECONDS = 60.0


@dataclass(eq=False)
class _Line:
    """The hot paths' line for one engine: its turns and the connections it keeps."""

    turns: asyncio.Semaphore | None  # None: a pool nobody waits for (SQLite's)
    keeps_within: int  # keeps a connection only while holding at most this many; 0: never
    in_line: int = 0  # hot paths waiting for a turn or holding one
    held: int = 0  # connections taken from the pool and not given back yet
    kept: list[tuple[Any, float]] = field(default_factory=list)  # (connection, taken at)

    async def take(self, engine: AsyncEngine) -> tuple[Any, float]:
        if self.kept:
            return self.kept.pop()
        pooled = await engine.raw_connection()
        self.held += 1
        return pooled, time.monotonic()

    async def give_back(self, pooled: Any, taken_at: float, *, intact: bool) -> None:
        # Kept only for another hot path already in line, never while the line holds more
        # than its width (a checkout racing a give-back can overshoot it by one), nor
        # past its tenure.
        if (
            intact
            and self.in_line > 1
            and self.held <= self.keeps_within
            and time.monotonic() - taken_at < TENURE_SECONDS
        ):
            self.kept.append((pooled, taken_at))
            return
        await self._close(pooled)
        if self.in_line == 1:  # the line is quiet: everything back to the pool
            await self.release()

    async def release(self) -> None:
        """Every kept connection back to the pool."""
        while self.kept:
            pooled, _ = self.kept.pop()
            await self._close(pooled)

    async def _close(self, pooled: Any) -> None:
        self.held -= 1
        await greenlet_spawn(pooled.close)


_LINES: WeakKeyDictionary[Engine, _Line] = WeakKeyDictionary()


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    line = _line(engine)
    line.in_line += 1
    try:
        async with line.turns if line.turns is not None else contextlib.nullcontext():
            pooled, taken_at = await line.take(engine)
            intact = True
            try:
                driver = pooled.driver_connection
                assert driver is not None
                yield driver
            except BaseException as exc:
                intact = connection_intact(exc)
                if not intact:
                    pooled.invalidate()
                raise
            finally:
                await line.give_back(pooled, taken_at, intact=intact)
    finally:
        line.in_line -= 1


async def release_kept(engine: AsyncEngine) -> None:
    """Return the connections the hot paths keep to the pool (before disposing of it)."""
    line = _LINES.get(engine.sync_engine)
    if line is not None:
        await line.release()


def _line(engine: AsyncEngine) -> _Line:
    """The engine's line; decided once per engine: every hot checkout asks.

    As wide as the pool less a quarter of it (at least one connection) that only the
    ORM's paths can take, so keeping connections never starves them; a pool of one is
    shared as before, without keeping.
    """
    sync_engine = engine.sync_engine
    try:
        return _LINES[sync_engine]
    except KeyError:
        pool = sync_engine.pool
        if isinstance(pool, QueuePool):
            size = pool.size()
            reserve = max(1, size // 4) if size > 1 else 0
            width = size - reserve
            line = _Line(asyncio.Semaphore(width), keeps_within=width if reserve else 0)
        else:
            line = _Line(None, keeps_within=0)
        _LINES[sync_engine] = line
        return line


def connection_intact(exc: BaseException) -> bool:
    """Whether the connection survived ``exc``: the server reported an error about the
    statement (a SQLSTATE outside class 08). A lost socket, a cancelled or timed-out
    statement, a protocol error leave it in an unknown state."""
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and not sqlstate.startswith("08")
