"""WAL checkpoints beside SQLite's hot writes, never inside one.

SQLite checkpoints the write-ahead log from the connection whose commit takes it past
``wal_autocheckpoint`` pages (1,000 by default), inside that commit: copy the pages
into the database file, then fsync it. On the hot write path (``db.fast_write``) that
commit holds the process's writer lock, so every queued write waited behind the
checkpoint: profiled at 32 concurrent writers, stalls of 60 to 140 ms every few hundred
writes made most of the p99 (issue 11).

So the writer's connection does not checkpoint (``wal_autocheckpoint=0``), and every
``EVERY`` hot writes a ``PASSIVE`` checkpoint runs on a connection and a thread of its
own, without the writer lock: writers keep appending to the log meanwhile. Then the
writer's connection checkpoints the few pages written since, under the writer lock,
so that the log is fully copied and the next write starts it afresh. Other connections of
the process (the engine's) keep SQLite's automatic checkpoints.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3  # imported where SQLite runs: a PostgreSQL process never holds it

logger = logging.getLogger(__name__)

# Hot writes between checkpoints: a write adds a few pages, so this stays well under
# the 1,000 pages at which SQLite itself would checkpoint.
EVERY = 200


class Checkpointer:
    def __init__(self, database: str) -> None:
        self._database = database
        self._connection: sqlite3.Connection | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._running: asyncio.Task[None] | None = None
        self._writes = 0

    def wrote(self, count: int, finish: Callable[[], Awaitable[None]]) -> None:
        """``count`` hot writes committed; start a checkpoint when it is time and none runs.

        ``finish`` then checkpoints what was written meanwhile, under the writer lock: a
        few pages, so the next write can start the log afresh (SQLite only restarts a
        log that is fully checkpointed, which concurrent writers never let a checkpoint
        beside them reach on its own).
        """
        self._writes += count
        if self._writes < EVERY or (self._running is not None and not self._running.done()):
            return
        self._writes = 0
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="faceless-sqlite-checkpoint")
        running = asyncio.get_running_loop().create_task(self._run(self._thread, finish))
        running.add_done_callback(_log_failure)
        self._running = running

    async def _run(self, thread: ThreadPoolExecutor, finish: Callable[[], Awaitable[None]]) -> None:
        await asyncio.get_running_loop().run_in_executor(thread, self._checkpoint)
        await finish()

    def _checkpoint(self) -> None:
        if self._connection is None:
            import sqlite3

            self._connection = sqlite3.connect(
                self._database, isolation_level=None, check_same_thread=False
            )
        self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def idle(self) -> None:
        """Wait for the checkpoint in flight, if any."""
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)

    def close(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=True)  # lets a checkpoint in flight finish
            self._thread = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _log_failure(done: asyncio.Task[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        # The log keeps growing until the next checkpoint (ours or SQLite's); no write fails.
        logger.warning("a WAL checkpoint failed", exc_info=done.exception())
