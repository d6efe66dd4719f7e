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
connections, issue 11). A FIFO semaphore as wide as the pool puts the hot paths in line
before they touch it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import greenlet_spawn

_TURNS: WeakKeyDictionary[Engine, asyncio.Semaphore | None] = WeakKeyDictionary()


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    turns = _turns(engine)
    async with turns if turns is not None else contextlib.nullcontext():
        pooled = await engine.raw_connection()
        try:
            driver = pooled.driver_connection
            assert driver is not None
            yield driver
        except BaseException as exc:
            if not connection_intact(exc):
                pooled.invalidate()
            raise
        finally:
            await greenlet_spawn(pooled.close)


def _turns(engine: AsyncEngine) -> asyncio.Semaphore | None:
    """The engine's line, as wide as its pool; None for a pool nobody waits for.

    Decided once per engine: every hot checkout asks.
    """
    sync_engine = engine.sync_engine
    try:
        return _TURNS[sync_engine]
    except KeyError:
        pool = sync_engine.pool
        turns = asyncio.Semaphore(pool.size()) if isinstance(pool, QueuePool) else None
        _TURNS[sync_engine] = turns
        return turns


def connection_intact(exc: BaseException) -> bool:
    """Whether the connection survived ``exc``: the server reported an error about the
    statement (a SQLSTATE outside class 08). A lost socket, a cancelled or timed-out
    statement, a protocol error leave it in an unknown state."""
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and not sqlstate.startswith("08")
