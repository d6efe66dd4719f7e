"""SQL for the audit chain.

Requests only insert into the inbox (:func:`insert_pending`), inside their own
transaction. The sequencer chains in a transaction of its own: :func:`lock_head`
first (the row lock on PostgreSQL, the write lock on SQLite, so sequencers of every
process queue there), then :func:`take_pending`, :func:`append_events` and
:func:`set_head`. All Core statements.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Insert, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from faceless.db.fast_write import Write
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


async def set_head(conn: AsyncConnection, *, last_id: int, last_hash: str) -> None:
    await conn.execute(
        update(_HEAD).where(_HEAD.c.id == 1).values(last_id=last_id, last_hash=last_hash)
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
