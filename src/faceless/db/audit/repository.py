"""SQL for the audit chain.

Requests only insert into the inbox (:func:`insert_pending`), inside their own
transaction. The sequencer chains in a transaction of its own: :func:`lock_head`
first (the row lock on PostgreSQL, the write lock on SQLite, so sequencers of every
process queue there), then :func:`take_pending`, :func:`append_events` and
:func:`set_head`. All Core statements.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, Update, bindparam, delete, func, insert, select, true, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from faceless.db.fast_write import Compiled, Processor, Write, compile_insert
from faceless.models import AuditEvent, AuditHead, AuditInbox

Executor = AsyncSession | AsyncConnection

_INBOX = cast(Table, AuditInbox.__table__)
_EVENTS = cast(Table, AuditEvent.__table__)
_HEAD = cast(Table, AuditHead.__table__)

_INSERT_PENDING = insert(_INBOX)
# A no-op update: it exists for the lock it takes (and returns the head under it).
_LOCK_HEAD = (
    update(_HEAD)
    .where(_HEAD.c.id == 1)
    .values(last_id=_HEAD.c.last_id)
    .returning(_HEAD.c.last_id, _HEAD.c.last_hash)
)
_INSERT_EVENTS = insert(_EVENTS)
_PENDING_FIELDS = ("at", "actor_id", "actor_ip", "action", "target", "outcome", "request_id")
_PENDING_COLUMNS = (
    _INBOX.c.id,
    _INBOX.c.at,
    _INBOX.c.actor_id,
    _INBOX.c.actor_ip,
    _INBOX.c.action,
    _INBOX.c.target,
    _INBOX.c.outcome,
    _INBOX.c.request_id,
)


async def insert_pending(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """One event into the inbox, in the caller's transaction (no chain lock taken)."""
    await session.execute(_INSERT_PENDING, dict(values))


def pending_write(values: Mapping[str, Any]) -> Write:
    """``insert_pending`` as a write of the hot path (``db.fast_write``)."""
    return Write("audit.insert_pending", _insert_pending, values)


def _insert_pending() -> Insert:
    # inline(): no RETURNING of the new id; nothing reads it.
    return insert(_INBOX).inline().values({name: bindparam(name) for name in _PENDING_FIELDS})


async def lock_head(conn: AsyncConnection) -> tuple[int, str]:
    """Lock the head row until this transaction ends; returns (last id, last hash)."""
    row = (await conn.execute(_LOCK_HEAD)).one()
    return int(row[0]), str(row[1])


async def take_pending(conn: AsyncConnection, *, limit: int) -> list[Any]:
    """Remove the oldest committed inbox rows and return them, in the order they are chained.

    One statement (DELETE ... RETURNING) instead of a read and a delete. Only under the
    head lock: no other run can be taking the same rows.
    """
    oldest = select(_INBOX.c.id).order_by(_INBOX.c.id).limit(limit).scalar_subquery()
    query = delete(_INBOX).where(_INBOX.c.id.in_(oldest)).returning(*_PENDING_COLUMNS)
    # RETURNING has no order of its own.
    return sorted((await conn.execute(query)).all(), key=lambda row: int(row.id))


async def append_events(conn: AsyncConnection, events: Sequence[Mapping[str, Any]]) -> None:
    await conn.execute(_INSERT_EVENTS, [dict(event) for event in events])


def set_head_statement(*, last_id: int, last_hash: str) -> Update:
    return update(_HEAD).where(_HEAD.c.id == 1).values(last_id=last_id, last_hash=last_hash)


async def set_head(conn: AsyncConnection, *, last_id: int, last_hash: str) -> None:
    await conn.execute(set_head_statement(last_id=last_id, last_hash=last_hash))


# -- the same run on the asyncpg driver (db.audit.driver_run) -------------------------

_EVENT_FIELDS = ("id", *_PENDING_FIELDS, "prev_hash", "hash")


@dataclass(frozen=True, slots=True)
class DriverStatements:
    """The sequencer's statements compiled for one dialect, as driver SQL."""

    begin_and_lock: str  # a simple query: no parameters
    take: str
    take_params: tuple[str, ...]
    take_names: tuple[str, ...]
    take_results: tuple[Processor, ...]
    append: str
    append_binds: Compiled
    dialect: Dialect

    def take_args(self, limit: int) -> list[Any]:
        values = {"limit": limit, "head": 1}
        return [values[name] for name in self.take_params]

    def taken(self, records: Sequence[Any]) -> tuple[tuple[int, str], list[dict[str, Any]]]:
        """(the locked head, the rows taken out of the inbox in chain order)."""
        rows = [
            {
                name: value if processor is None else processor(value)
                for name, value, processor in zip(
                    self.take_names, record, self.take_results, strict=True
                )
            }
            for record in records
        ]
        head = (int(rows[0]["last_id"]), str(rows[0]["last_hash"]))
        pending = [row for row in rows if row["id"] is not None]  # the outer join's NULLs
        for row in pending:
            del row["last_id"], row["last_hash"]
        return head, sorted(pending, key=lambda row: int(row["id"]))

    def event_args(self, event: Mapping[str, Any]) -> list[Any]:
        return self.append_binds.arguments(event)

    def set_head_and_commit(self, last_id: int, last_hash: str) -> str:
        # A simple query carries no parameters: SQLAlchemy renders the two values (an
        # int and the hex digest this process computed) as quoted literals.
        moved = set_head_statement(last_id=last_id, last_hash=last_hash)
        rendered = moved.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True})
        return f"{rendered}; COMMIT"


def driver_statements(dialect: Dialect) -> DriverStatements:
    lock = update(_HEAD).where(_HEAD.c.id == 1).values(last_id=_HEAD.c.last_id)
    oldest = select(_INBOX.c.id).order_by(_INBOX.c.id).limit(bindparam("limit")).scalar_subquery()
    taken = delete(_INBOX).where(_INBOX.c.id.in_(oldest)).returning(*_PENDING_COLUMNS).cte()
    take = (
        select(_HEAD.c.last_id, _HEAD.c.last_hash, *taken.c)
        .select_from(_HEAD.outerjoin(taken, true()))
        .where(_HEAD.c.id == bindparam("head"))
    )
    compiled_take = take.compile(dialect=dialect)
    append = compile_insert(
        insert(_EVENTS).values({name: bindparam(name) for name in _EVENT_FIELDS}), dialect
    )
    lock_sql = lock.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
    return DriverStatements(
        begin_and_lock=f"BEGIN; {lock_sql}",
        take=str(compiled_take),
        take_params=tuple(compiled_take.positiontup or ()),
        take_names=tuple(str(column.key) for column in take.selected_columns),
        take_results=_result_processors(take.selected_columns, dialect),
        append=append.sql,
        append_binds=append,
        dialect=dialect,
    )


@dataclass(frozen=True, slots=True)
class SqliteStatements:
    """The sequencer's statements for SQLite's own driver, run in one thread call."""

    lock: str  # no parameters
    take: str  # no parameters: the batch size is part of it
    take_results: tuple[Processor, ...]
    append: Compiled
    set_head: Compiled

    def taken(self, records: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        rows = [
            {
                column.key: value if processor is None else processor(value)
                for column, value, processor in zip(
                    _PENDING_COLUMNS, record, self.take_results, strict=True
                )
            }
            for record in records
        ]
        return sorted(rows, key=lambda row: int(row["id"]))


def _result_processors(columns: Iterable[Any], dialect: Dialect) -> tuple[Processor, ...]:
    # Integers, strings, UUIDs and UTC datetimes: every type here has a processor for a
    # dialect alone (no driver type code needed, unlike Numeric).
    return tuple(column.type._cached_result_processor(dialect, None) for column in columns)


def sqlite_statements(dialect: Dialect, limit: int) -> SqliteStatements:
    literal = {"literal_binds": True}
    oldest = select(_INBOX.c.id).order_by(_INBOX.c.id).limit(limit).scalar_subquery()
    take = delete(_INBOX).where(_INBOX.c.id.in_(oldest)).returning(*_PENDING_COLUMNS)
    moved = update(_HEAD).where(_HEAD.c.id == bindparam("head"))
    return SqliteStatements(
        lock=str(_LOCK_HEAD.compile(dialect=dialect, compile_kwargs=literal)),
        take=str(take.compile(dialect=dialect, compile_kwargs=literal)),
        take_results=_result_processors(_PENDING_COLUMNS, dialect),
        append=compile_insert(
            insert(_EVENTS).values({name: bindparam(name) for name in _EVENT_FIELDS}), dialect
        ),
        set_head=compile_insert(
            moved.values(last_id=bindparam("last_id"), last_hash=bindparam("last_hash")), dialect
        ),
    )


async def pending_count(session: Executor) -> int:
    """Inbox rows not chained yet (committed by a request whose sequencer has not run)."""
    return int(await session.scalar(select(func.count()).select_from(_INBOX)) or 0)


async def stream_events(session: AsyncSession, batch: int = 1000) -> AsyncIterator[AuditEvent]:
    last_id = 0
    while True:
        query = (
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        )
        rows = (await session.scalars(query)).all()
        if not rows:
            return
        for row in rows:
            yield row
        last_id = rows[-1].id


async def head_values(session: AsyncSession) -> tuple[int, str]:
    """The committed head as plain values (never a cached ORM object): (last id, last hash)."""
    row = (
        await session.execute(
            select(AuditHead.last_id, AuditHead.last_hash).where(AuditHead.id == 1)
        )
    ).one_or_none()
    assert row is not None, "audit_head row missing: run migrations"
    return int(row[0]), str(row[1])


async def hash_of(session: AsyncSession, event_id: int) -> str | None:
    found = await session.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id))
    return None if found is None else str(found)


async def recorded_at(session: AsyncSession, event_id: int) -> datetime | None:
    found = await session.scalar(select(AuditEvent.at).where(AuditEvent.id == event_id))
    return found if isinstance(found, datetime) else None
