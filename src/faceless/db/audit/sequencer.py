"""Chaining committed audit events, in short transactions that never wait on a request.

``record`` puts an event into ``audit_inbox`` inside the request's transaction, so the
action and its event commit or roll back together, and takes no shared lock. Once that
transaction has committed, the request awaits :meth:`Sequencer.chain_committed` (an
``after_commit`` action, run before the response is sent): the event is in the chain,
visible to ``GET /api/v1/audit`` and ``faceless audit verify``, by the time the client
has its answer.

:func:`chain_pending` is one sequencer run: lock the head row, take the oldest inbox
rows out of the inbox (one DELETE ... RETURNING), compute their hashes
(:mod:`faceless.db.audit.chain`), insert them into ``audit_events`` with the next ids,
move the head, commit.
The head row lock is held for those few statements only, never across a request's
other work or commit; it still orders the runs of every process (API processes, Celery
workers, the CLI), so the chain stays one gapless line.

Concurrent requests of one process share runs: whoever asks before a run reads the
inbox (it holds the head by then; on SQLite it may still be queueing for the writer
lock, and everyone arriving meanwhile joins it) is served by that run, since their rows
committed before the read. Whoever asks after the read waits for the *next* run, which
starts when the current one ends and chains all their events in one transaction. While
runs follow each other, they keep one connection, so a run never queues for the pool
behind the requests waiting for it. The statements go through the driver itself where
it can (:mod:`faceless.db.audit.driver_run`, ADR 0024).

Crash safety: rows left in the inbox by a process that died between its commit and its
run are chained by the next run of any process (each run chains everything committed),
and at start-up (``Runtime.start``) and by ``faceless audit verify``.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from faceless.db.audit import driver_run, repository
from faceless.db.audit.chain import event_hash
from faceless.db.audit.head_export_schedule import note_chained
from faceless.db.fast_write import sqlite_writer
from faceless.db.single_writer import single_writer

# Events per transaction: large enough for any burst of concurrent requests, small
# enough that one run holds the head lock for milliseconds.
BATCH = 500


@dataclass(frozen=True, slots=True)
class Link:
    """An event about to be chained: what its hash covers (``chain.ChainedEvent``)."""

    id: int
    at: datetime
    actor_id: uuid.UUID | None
    actor_ip: str | None
    action: str
    target: str | None
    outcome: str
    request_id: str | None
    prev_hash: str


def _links(rows: Any, last_id: int, last_hash: str) -> tuple[list[dict[str, Any]], str]:
    events = []
    for offset, row in enumerate(rows, start=1):
        link = Link(
            id=last_id + offset,
            at=row.at,
            actor_id=row.actor_id,
            actor_ip=row.actor_ip,
            action=row.action,
            target=row.target,
            outcome=row.outcome,
            request_id=row.request_id,
            prev_hash=last_hash,
        )
        last_hash = event_hash(link)
        events.append(
            {
                "id": link.id,
                "at": link.at,
                "actor_id": link.actor_id,
                "actor_ip": link.actor_ip,
                "action": link.action,
                "target": link.target,
                "outcome": link.outcome,
                "request_id": link.request_id,
                "prev_hash": link.prev_hash,
                "hash": last_hash,
            }
        )
    return events, last_hash


Claim = Callable[[], None]


def _no_claim() -> None:
    return None


async def _chain_batch(conn: AsyncConnection, engine: AsyncEngine, claim: Claim) -> int:
    """One run; it calls ``claim`` once it holds the head, just before it reads the inbox."""
    if engine.dialect.driver == "asyncpg":
        return await driver_run.chain_batch(conn, BATCH, _links, claim)
    writer = sqlite_writer(engine)
    if writer is not None:
        work = driver_run.sqlite_batch(engine.dialect, BATCH, _links)
        return await writer.transact(engine, work, before=claim)
    async with single_writer(engine), conn.begin():
        last_id, last_hash = await repository.lock_head(conn)
        claim()
        rows = await repository.take_pending(conn, limit=BATCH)
        if not rows:
            return 0
        events, head_hash = _links(rows, last_id, last_hash)
        await repository.append_events(conn, events)
        await repository.set_head(conn, last_id=last_id + len(rows), last_hash=head_hash)
    return len(rows)


async def _chain_all(conn: AsyncConnection, engine: AsyncEngine, claim: Claim = _no_claim) -> int:
    total = 0
    while True:
        chained = await _chain_batch(conn, engine, claim)
        total += chained
        if chained < BATCH:
            break
    if total:
        note_chained(total)
    return total


async def chain_pending(engine: AsyncEngine) -> int:
    """Chain every inbox row committed before this call; returns how many were chained."""
    async with engine.connect() as conn:
        return await _chain_all(conn, engine)


class Sequencer:
    """One process's runs for one engine: at most one in flight, the others wait on it.

    It keeps no reference to the engine (only a run in flight does), so a disposed
    engine and its sequencer go together.
    """

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._waiting: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None

    async def chain_committed(self, engine: AsyncEngine) -> None:
        """Return once every inbox row committed before this call is chained."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # futures and tasks belong to one loop
            self._loop, self._waiting, self._task = loop, None, None
        if self._waiting is None:
            self._waiting = loop.create_future()
            if self._task is None or self._task.done():
                self._task = loop.create_task(self._drain(engine), name="faceless-audit-sequencer")
        # Shielded: a cancelled request must not cancel the run others wait on.
        await asyncio.shield(self._waiting)

    async def idle(self) -> None:
        """Wait for the run in flight, if any (before the engine is disposed)."""
        task = self._task
        if task is not None and not task.done() and self._loop is asyncio.get_running_loop():
            await asyncio.gather(task, return_exceptions=True)

    async def _drain(self, engine: AsyncEngine) -> None:
        # Each pass serves the waiters gathered until it reads the inbox (``claim``):
        # their rows committed before that read, so it sees them. Anyone arriving later
        # waits for the next pass. On SQLite a pass first queues for the writer lock,
        # and whoever arrives meanwhile joins it. The connection is kept from pass to
        # pass while there are waiters: under load a run never queues for the pool
        # behind the requests that wait for it.
        while self._waiting is not None:
            try:
                async with engine.connect() as conn:
                    while self._waiting is not None:
                        claimed: list[asyncio.Future[None]] = []

                        def claim(claimed: list[asyncio.Future[None]] = claimed) -> None:
                            if not claimed and self._waiting is not None:
                                claimed.append(self._waiting)
                                self._waiting = None

                        try:
                            await _chain_all(conn, engine, claim)
                        except BaseException as error:
                            for waiting in claimed:
                                _fail(waiting, error)
                            raise
                        for waiting in claimed:
                            waiting.set_result(None)
            except Exception as error:
                # No connection, or a failed run (its waiters are told already): those
                # who came meanwhile hear of it too; the next request tries afresh.
                waiting, self._waiting = self._waiting, None
                if waiting is not None:
                    _fail(waiting, error)


def _fail(waiting: asyncio.Future[None], error: BaseException) -> None:
    if waiting.done():
        return
    if isinstance(error, Exception):
        waiting.set_exception(error)
        waiting.exception()  # retrieved: waiters that left must not warn about it
    else:
        waiting.cancel()  # the run itself was cancelled (the loop is shutting down)


_SEQUENCERS: weakref.WeakKeyDictionary[Any, Sequencer] = weakref.WeakKeyDictionary()


def sequencer_for(engine: AsyncEngine) -> Sequencer:
    """The process's sequencer for ``engine`` (created on first use)."""
    key = engine.sync_engine
    sequencer = _SEQUENCERS.get(key)
    if sequencer is None:
        sequencer = _SEQUENCERS[key] = Sequencer()
    return sequencer
