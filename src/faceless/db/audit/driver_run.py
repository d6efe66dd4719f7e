"""One sequencer transaction on the driver itself: no ORM, no greenlet bridge.

PostgreSQL (asyncpg): four round trips. SQLite: one thread call, on the hot write path's
connection (``db.fast_write.SqliteWriter.transact``), instead of a thread hop per
statement through aiosqlite.

The same run as the Core one (``repository.lock_head``, ``take_pending``,
``append_events``, ``set_head`` between ``BEGIN`` and ``COMMIT``: seven round trips
through SQLAlchemy's greenlet bridge), for PostgreSQL, where a run's round trips are
what every waiting request waits for (issue 11: under load each one also waits for
the busy event loop):

1. ``BEGIN; UPDATE audit_head …`` (one simple query): the head row lock, as before;
2. one statement takes the oldest inbox rows (``DELETE … RETURNING`` in a ``WITH``)
   and reads the head beside them;
3. the events are inserted (one pipelined ``executemany``);
4. ``UPDATE audit_head SET …; COMMIT`` (one simple query; its two values are an
   integer and a hex digest this process computed, rendered by SQLAlchemy).

The statements are Core, compiled once for the engine's dialect
(``repository.driver_statements``).
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from faceless.db.audit import repository
from faceless.db.audit.repository import DriverStatements, SqliteStatements

if TYPE_CHECKING:
    import sqlite3  # for annotations only: a PostgreSQL process never holds it

Links = Callable[[list[Any], int, str], tuple[list[dict[str, Any]], str]]

_STATEMENTS: dict[Dialect, DriverStatements] = {}


def _statements(dialect: Dialect) -> DriverStatements:
    found = _STATEMENTS.get(dialect)
    if found is None:
        found = _STATEMENTS[dialect] = repository.driver_statements(dialect)
    return found


async def chain_batch(
    conn: AsyncConnection, limit: int, links: Links, claim: Callable[[], None]
) -> int:
    """One run on ``conn``'s asyncpg connection; returns how many events it chained.

    ``claim`` is called with the head locked, just before the inbox is read.
    """
    statements = _statements(conn.dialect)
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    try:
        await driver.execute(statements.begin_and_lock)
        claim()
        head, rows = statements.taken(
            await driver.fetch(statements.take, *statements.take_args(limit))
        )
        last_id, last_hash = head
        if not rows:
            await driver.execute("COMMIT")
            return 0
        events, head_hash = links([SimpleNamespace(**row) for row in rows], last_id, last_hash)
        await driver.executemany(statements.append, [statements.event_args(e) for e in events])
        await driver.execute(statements.set_head_and_commit(last_id + len(rows), head_hash))
    except BaseException:
        # SQLAlchemy began nothing on this connection, so it would not roll back: a
        # connection must never go back to the pool inside our transaction.
        if driver.is_closed():
            await conn.invalidate()
        elif driver.is_in_transaction():
            try:
                await driver.execute("ROLLBACK")
            except BaseException:
                await conn.invalidate()
                raise
        raise
    return len(rows)


_SQLITE: dict[tuple[Dialect, int], SqliteStatements] = {}


def sqlite_batch(dialect: Dialect, limit: int, links: Links) -> Callable[[sqlite3.Connection], int]:
    """One run as work for ``SqliteWriter.transact`` (which begins and commits it)."""
    statements = _SQLITE.get((dialect, limit))
    if statements is None:
        statements = _SQLITE[dialect, limit] = repository.sqlite_statements(dialect, limit)

    def run(connection: sqlite3.Connection) -> int:
        last_id, last_hash = connection.execute(statements.lock).fetchone()
        rows = statements.taken(connection.execute(statements.take).fetchall())
        if not rows:
            return 0
        events, head_hash = links([SimpleNamespace(**row) for row in rows], last_id, last_hash)
        append = statements.append
        connection.executemany(append.sql, [append.arguments(event) for event in events])
        moved = {"last_id": last_id + len(rows), "last_hash": head_hash, "head": 1}
        connection.execute(statements.set_head.sql, statements.set_head.arguments(moved))
        return len(rows)

    return run
