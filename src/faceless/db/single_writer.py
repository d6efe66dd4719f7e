"""One writer at a time on SQLite, queued in the process instead of in ``busy_timeout``.

SQLite lets one connection write at a time. Two of our transactions that both write
meet in SQLite's busy handler, which sleeps and retries with growing pauses: under
concurrent requests that backoff, not the work, made the write path's tail latency
(ADR 0022). So every ``transaction()`` on a SQLite engine, and every audit sequencer
run, first takes this process's writer lock for the engine's pool and holds it until
its commit or rollback: waiting writers queue on an ``asyncio.Lock`` (first come,
first served, woken the moment the lock is free) and the database lock is always free
when a transaction starts writing. Other processes on the same file (a CLI command
beside the server) still meet in ``busy_timeout`` as before.

PostgreSQL engines get no lock: row locks order writers there.

The lock is taken at the transaction's first use of the database, not when the scope
opens: a request that first stores an upload and probes it (``POST /transcribe``) does
not keep other writers waiting meanwhile. Sessions from ``create_sessionmaker`` are
:class:`WriterSession` objects, whose I/O methods take a lock armed by the scope first; a
session of another class gets the lock when the scope opens.

A transaction opened while the same task (or a task it started) already holds the lock
does not take it again, so a nested ``transaction()`` never waits for itself; it
shares the database with its parent exactly as it did before the lock existed.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import Pool

# The hold of the lock the current task runs under, if any (see the module docstring).
_HOLDING: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "faceless_sqlite_writer", default=None
)


class WriterLock:
    """An ``asyncio.Lock`` that knows which hold is current, for the nesting rule."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._lock = asyncio.Lock()
        self._hold: object | None = None

    @asynccontextmanager
    async def hold(self) -> AsyncIterator[None]:
        current = _HOLDING.get()
        if current is not None and current is self._hold:
            yield  # nested inside our own hold: taking it again would wait for ever
            return
        async with self._lock:
            hold = self._hold = object()
            token = _HOLDING.set(hold)
            try:
                yield
            finally:
                self._hold = None
                _HOLDING.reset(token)


# Keyed by the pool: an engine and its ``execution_options`` variants share one.
_LOCKS: weakref.WeakKeyDictionary[Pool, WriterLock] = weakref.WeakKeyDictionary()


def writer_lock(engine: AsyncEngine) -> WriterLock | None:
    """The process's writer lock for a SQLite ``engine``; None for other databases."""
    if engine.dialect.name != "sqlite":
        return None
    pool = engine.sync_engine.pool
    loop = asyncio.get_running_loop()
    lock = _LOCKS.get(pool)
    if lock is None or lock.loop is not loop:
        # An asyncio.Lock belongs to one loop; an engine used from a new loop gets a new one.
        lock = _LOCKS[pool] = WriterLock(loop)
    return lock


@asynccontextmanager
async def single_writer(engine: AsyncEngine | None) -> AsyncIterator[None]:
    """Hold ``engine``'s writer lock (SQLite), or nothing (PostgreSQL, no engine)."""
    lock = writer_lock(engine) if engine is not None else None
    if lock is None:
        yield
        return
    async with lock.hold():
        yield


_ARMED = "faceless.single_writer.armed"


class WriterSession(AsyncSession):
    """An ``AsyncSession`` that takes its scope's writer lock before its first I/O."""


def _after_taking_the_lock(name: str) -> Callable[..., Awaitable[Any]]:
    method = getattr(AsyncSession, name)

    @functools.wraps(method)
    async def first_use(self: AsyncSession, *args: Any, **kwargs: Any) -> Any:
        take = self.info.pop(_ARMED, None)
        if take is not None:
            await take()
        return await method(self, *args, **kwargs)

    return first_use


# Every AsyncSession method that can reach the database; a commit may flush. Not
# rollback or close: without an earlier use there is nothing to undo.
_IO_METHODS = (
    "commit",
    "connection",
    "delete",
    "execute",
    "flush",
    "get",
    "get_one",
    "merge",
    "refresh",
    "run_sync",
    "scalar",
    "scalars",
    "stream",
    "stream_scalars",
)
for _name in _IO_METHODS:
    setattr(WriterSession, _name, _after_taking_the_lock(_name))


async def arm(session: AsyncSession, engine: AsyncEngine | None, scope: AsyncExitStack) -> None:
    """Have ``session`` hold ``engine``'s writer lock until ``scope`` closes (SQLite only).

    Taken at the session's first database use (a :class:`WriterSession`), else now.
    """
    if engine is None or engine.dialect.name != "sqlite":
        return

    async def take() -> None:
        await scope.enter_async_context(single_writer(engine))

    if isinstance(session, WriterSession):
        session.info[_ARMED] = take
    else:
        await take()


def disarm(session: AsyncSession) -> None:
    """The scope is ending: a lock not taken by now is not needed."""
    session.info.pop(_ARMED, None)
