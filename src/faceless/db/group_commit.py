"""Group commit for SQLite's hot writes: the writes that queue meanwhile share one commit.

SQLite takes one writer at a time, and every hot write (``db.fast_write``) is a thread
hop: under 32 concurrent requests the hops, not the statements, were a large part of
the CPU (the worker thread waking, the GIL changing hands). So the writes queue here,
and one drain task commits everything queued so far in one transaction, in one
thread call, each write inside a ``SAVEPOINT`` of its own: a write that fails is rolled
back to its savepoint and its caller gets the error, the others commit. If the commit
itself fails, every write of the group gets that error and none is written.

Like the audit sequencer, the drain runs as a task of its own and callers wait on
shielded futures: a cancelled request never cancels the commit that others wait for
(its write may still commit, as a write whose client went away at the last moment
always could).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite3  # imported where SQLite runs: a PostgreSQL process never holds it

Statements = Sequence[tuple[str, Sequence[Any]]]
Outcome = BaseException | None
# Runs ``work`` on the writer's connection in one transaction (``SqliteWriter.transact``).
Transact = Callable[[Callable[["sqlite3.Connection"], list[Outcome]]], Awaitable[list[Outcome]]]


def run_group(connection: sqlite3.Connection, group: Sequence[Statements]) -> list[Outcome]:
    """Inside the group's transaction: each write in its savepoint; what each one raised."""
    if len(group) == 1:  # alone: the transaction is its savepoint
        for sql, arguments in group[0]:
            connection.execute(sql, arguments)
        return [None]
    import sqlite3

    outcomes: list[Outcome] = []
    for statements in group:
        connection.execute("SAVEPOINT fast_write")
        try:
            for sql, arguments in statements:
                connection.execute(sql, arguments)
        except sqlite3.Error as error:
            # An error that ended the whole transaction makes this raise: the group fails.
            connection.execute("ROLLBACK TO fast_write")
            outcomes.append(error)
        else:
            outcomes.append(None)
        connection.execute("RELEASE fast_write")
    return outcomes


class GroupCommit:
    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: list[tuple[Statements, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def write(self, statements: Statements, transact: Transact) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # futures and tasks belong to one loop
            self._loop, self._queue, self._task = loop, [], None
        done: asyncio.Future[None] = loop.create_future()
        self._queue.append((statements, done))
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._drain(transact), name="faceless-group-commit")
        await asyncio.shield(done)

    async def idle(self) -> None:
        task = self._task
        if task is not None and not task.done() and self._loop is asyncio.get_running_loop():
            await asyncio.gather(task, return_exceptions=True)

    async def _drain(self, transact: Transact) -> None:
        while self._queue:
            group, self._queue = self._queue, []

            def work(connection: sqlite3.Connection, group: Any = group) -> list[Outcome]:
                return run_group(connection, [statements for statements, _done in group])

            try:
                outcomes = await transact(work)
            except BaseException as error:
                for _statements, done in group:
                    _settle(done, error)
                if not isinstance(error, Exception):
                    raise
                continue
            for (_statements, done), outcome in zip(group, outcomes, strict=True):
                _settle(done, outcome)


def _settle(done: asyncio.Future[None], outcome: Outcome) -> None:
    if done.done():
        return
    if outcome is None:
        done.set_result(None)
    elif isinstance(outcome, Exception):
        done.set_exception(outcome)
        done.exception()  # retrieved: a caller that left must not warn about it
    else:
        done.cancel()  # the drain itself was cancelled (the loop is shutting down)
