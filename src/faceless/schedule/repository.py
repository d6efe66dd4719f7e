from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.repository import add, paginate
from faceless.models import Schedule, ScheduleStatus


async def has_pending(session: AsyncSession, video_id: uuid.UUID) -> bool:
    query = select(func.count()).where(
        Schedule.video_id == video_id, Schedule.status == ScheduleStatus.PENDING
    )
    return bool(await session.scalar(query))


async def get_visible(
    session: AsyncSession, schedule_id: uuid.UUID, *, owner_id: uuid.UUID | None
) -> Schedule | None:
    query = select(Schedule).where(Schedule.id == schedule_id).with_for_update()
    if owner_id is not None:
        query = query.where(Schedule.owner_id == owner_id)
    return (await session.scalars(query)).first()


async def list_visible(
    session: AsyncSession, *, owner_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[Sequence[Schedule], int]:
    query = select(Schedule)
    if owner_id is not None:
        query = query.where(Schedule.owner_id == owner_id)
    return await paginate(
        session, query, Schedule.publish_at, Schedule.id, limit=limit, offset=offset
    )


async def cancel_pending_for_video(session: AsyncSession, video_id: uuid.UUID) -> None:
    await session.execute(
        update(Schedule)
        .where(
            Schedule.video_id == video_id,
            Schedule.status == ScheduleStatus.PENDING,
            Schedule.claimed_at.is_(None),
        )
        .values(status=ScheduleStatus.CANCELLED)
    )


async def cancel_if_pending(session: AsyncSession, schedule_id: uuid.UUID) -> bool:
    """Cancel unless a scheduler claimed it meanwhile; False when it was too late."""
    result = await session.execute(
        update(Schedule)
        .where(
            Schedule.id == schedule_id,
            Schedule.status == ScheduleStatus.PENDING,
            Schedule.claimed_at.is_(None),
        )
        .values(status=ScheduleStatus.CANCELLED)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


__all__ = [
    "add",
    "cancel_if_pending",
    "cancel_pending_for_video",
    "get_visible",
    "has_pending",
    "list_visible",
]
