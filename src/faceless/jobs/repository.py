from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.repository import add, delete, paginate
from faceless.models import Job, JobKind, JobStatus


async def get_visible(
    session: AsyncSession,
    job_id: uuid.UUID,
    *,
    owner_id: uuid.UUID | None,
    for_update: bool = False,
) -> Job | None:
    query = select(Job).where(Job.id == job_id)
    if owner_id is not None:
        query = query.where(Job.owner_id == owner_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def list_visible(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID | None,
    status: JobStatus | None,
    kind: JobKind | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Job], int]:
    query = select(Job)
    if owner_id is not None:
        query = query.where(Job.owner_id == owner_id)
    if status is not None:
        query = query.where(Job.status == status)
    if kind is not None:
        query = query.where(Job.kind == kind)
    return await paginate(session, query, Job.created_at.desc(), Job.id, limit=limit, offset=offset)


__all__ = ["add", "delete", "get_visible", "list_visible"]
