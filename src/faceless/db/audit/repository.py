"""SQL for the audit chain. The head row update serialises appenders (see models)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.models import AuditEvent, AuditHead


async def advance_head(session: AsyncSession) -> tuple[int, str]:
    """Reserve the next id; returns (new id, previous hash). Holds the head lock until commit."""
    row = (
        await session.execute(
            update(AuditHead)
            .where(AuditHead.id == 1)
            .values(last_id=AuditHead.last_id + 1)
            .returning(AuditHead.last_id, AuditHead.last_hash)
        )
    ).one()
    return int(row[0]), str(row[1])


async def insert_event(session: AsyncSession, event: AuditEvent) -> None:
    session.add(event)
    await session.flush()
    await session.execute(update(AuditHead).where(AuditHead.id == 1).values(last_hash=event.hash))


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


async def get_head(session: AsyncSession) -> AuditHead:
    head = await session.get(AuditHead, 1)
    assert head is not None, "audit_head row missing: run migrations"
    return head


async def recorded_at(session: AsyncSession, event_id: int) -> datetime | None:
    found = await session.scalar(select(AuditEvent.at).where(AuditEvent.id == event_id))
    return found if isinstance(found, datetime) else None
