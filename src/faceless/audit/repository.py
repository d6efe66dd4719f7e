"""SQL for listing the audit trail (the chain itself is written by :mod:`faceless.db.audit`)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.repository import count_rows
from faceless.models import AuditEvent


async def list_events(session: AsyncSession, *, limit: int, offset: int) -> Sequence[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
    return (await session.scalars(query)).all()


async def count_events(session: AsyncSession) -> int:
    return await count_rows(session, select(AuditEvent))
