"""A pooled connection's driver connection, without SQLAlchemy's connection around it.

The hot read and write paths (``db.fast_read``, ``db.fast_write``) run one statement on
the database driver itself. Checking out through ``AsyncEngine.raw_connection`` keeps one
pool for everything (``DATABASE_POOL_SIZE`` stays the one knob) at half the cost of an
``AsyncConnection`` under load (issue 11). Nothing here begins a transaction, so each
statement is its own and the pool's reset at check-in has nothing to undo; a connection
left in an unknown state is invalidated, never handed to the next request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn


@asynccontextmanager
async def driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
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


def connection_intact(exc: BaseException) -> bool:
    """Whether the connection survived ``exc``: the server reported an error about the
    statement (a SQLSTATE outside class 08). A lost socket, a cancelled or timed-out
    statement, a protocol error leave it in an unknown state."""
    sqlstate = getattr(exc, "sqlstate", None)
    return isinstance(sqlstate, str) and not sqlstate.startswith("08")
