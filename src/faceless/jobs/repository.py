from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    page = query.order_by(Job.created_at.desc(), Job.id).limit(limit).offset(offset)
    return (await session.scalars(page)).all(), int(total or 0)


async def add(session: AsyncSession, job: Job) -> Job:
    session.add(job)
    await session.flush()
    return job


async def delete(session: AsyncSession, job: Job) -> None:
    await session.delete(job)
    await session.flush()
