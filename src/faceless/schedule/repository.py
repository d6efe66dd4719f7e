from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.repository import add, affected_rows, get_owned, paginate
from faceless.models import Job, JobStatus, Schedule, ScheduleStatus, User


def _pending_unclaimed() -> Any:
    """Still pending and not yet claimed by a scheduler: the API may still cancel it."""
    return (Schedule.status == ScheduleStatus.PENDING) & Schedule.claimed_at.is_(None)


def _not_held_back(now: datetime) -> Any:
    """Not deferred, or deferred to a time that has come."""
    return Schedule.not_before.is_(None) | (Schedule.not_before <= now)


def _owner_enabled() -> Any:
    """A disabled owner's schedules are never claimed, so they never publish."""
    return exists().where(User.id == Schedule.owner_id, User.disabled.is_(False))


async def has_pending(session: AsyncSession, video_id: uuid.UUID) -> bool:
    query = select(func.count()).where(
        Schedule.video_id == video_id, Schedule.status == ScheduleStatus.PENDING
    )
    return bool(await session.scalar(query))


async def get_visible(
    session: AsyncSession, schedule_id: uuid.UUID, *, owner_id: uuid.UUID | None
) -> Schedule | None:
    return await get_owned(session, Schedule, schedule_id, owner_id=owner_id, for_update=True)


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
        .where(Schedule.video_id == video_id, _pending_unclaimed())
        .values(status=ScheduleStatus.CANCELLED)
    )


async def cancel_if_pending(session: AsyncSession, schedule_id: uuid.UUID) -> bool:
    """Cancel unless a scheduler claimed it meanwhile; False when it was too late."""
    result = await session.execute(
        update(Schedule)
        .where(Schedule.id == schedule_id, _pending_unclaimed())
        .values(status=ScheduleStatus.CANCELLED)
    )
    return affected_rows(result) == 1


async def get_by_job(session: AsyncSession, job_id: uuid.UUID) -> Schedule | None:
    """The schedule a publish job was created for."""
    return (await session.scalars(select(Schedule).where(Schedule.job_id == job_id))).first()


async def due_ids(session: AsyncSession, *, now: datetime, limit: int) -> Sequence[uuid.UUID]:
    """Due schedules nobody claimed yet, oldest first. Read without locks: the claim decides."""
    query = (
        select(Schedule.id)
        .where(
            _pending_unclaimed(), Schedule.publish_at <= now, _not_held_back(now), _owner_enabled()
        )
        .order_by(Schedule.publish_at)
        .limit(limit)
    )
    return (await session.scalars(query)).all()


async def claim_due(
    session: AsyncSession, schedule_id: uuid.UUID, *, now: datetime
) -> Schedule | None:
    """Claim a due schedule for this scheduler; None when another one won or it was cancelled.

    A conditional UPDATE: on PostgreSQL a concurrent UPDATE of the row waits for the
    first and re-checks the condition, on SQLite writers are serialised, so exactly
    one caller sees a row count of 1.
    """
    result = await session.execute(
        update(Schedule)
        .where(
            Schedule.id == schedule_id,
            _pending_unclaimed(),
            Schedule.publish_at <= now,
            _not_held_back(now),
            _owner_enabled(),
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(result) != 1:
        return None
    return await session.get_one(Schedule, schedule_id)


async def pending_of_owner(session: AsyncSession, owner_id: uuid.UUID) -> Sequence[Schedule]:
    """The owner's pending schedules, claimed or not, locked until the transaction ends."""
    query = (
        select(Schedule)
        .where(Schedule.owner_id == owner_id, Schedule.status == ScheduleStatus.PENDING)
        .order_by(Schedule.id)
        .with_for_update()
    )
    return (await session.scalars(query)).all()


async def pending_with_cancelled_job(session: AsyncSession, *, limit: int) -> Sequence[Schedule]:
    """Pending schedules whose publish job was cancelled before it ran (locked, skip-locked)."""
    query = (
        select(Schedule)
        .join(Job, Job.id == Schedule.job_id)
        .where(Schedule.status == ScheduleStatus.PENDING, Job.status == JobStatus.CANCELLED)
        .limit(limit)
        .with_for_update(of=Schedule, skip_locked=True)
    )
    return (await session.scalars(query)).all()


async def defer(
    session: AsyncSession,
    *,
    job_id: uuid.UUID,
    not_before: datetime,
    detail: str,
) -> bool:
    """Hand the schedule of publish job ``job_id`` back to the schedulers for later.

    Unclaimed and unlinked, so a scheduler claims it again (with a new job) once
    ``not_before`` has come, and the API may cancel it meanwhile. False when the
    schedule is no longer this job's pending one.
    """
    result = await session.execute(
        update(Schedule)
        .where(Schedule.job_id == job_id, Schedule.status == ScheduleStatus.PENDING)
        .values(claimed_at=None, job_id=None, not_before=not_before, detail=detail)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


async def job_error(session: AsyncSession, job_id: uuid.UUID) -> str | None:
    """The error a failed job recorded (written for its owner)."""
    return await session.scalar(select(Job.error).where(Job.id == job_id))


async def job_result(session: AsyncSession, job_id: uuid.UUID) -> str | None:
    """A finished job's result text (the ORM load opens the encrypted column)."""
    job = await session.get(Job, job_id)
    return job.result if job is not None else None


__all__ = [
    "add",
    "cancel_if_pending",
    "cancel_pending_for_video",
    "claim_due",
    "defer",
    "due_ids",
    "get_by_job",
    "get_visible",
    "has_pending",
    "job_error",
    "job_result",
    "list_visible",
    "pending_of_owner",
    "pending_with_cancelled_job",
]


async def oldest_overdue(session: AsyncSession, *, now: datetime) -> datetime | None:
    """The earliest ``publish_at`` of a schedule that is due but not yet published."""
    result = await session.scalar(
        select(func.min(Schedule.publish_at)).where(
            Schedule.status == ScheduleStatus.PENDING,
            Schedule.publish_at <= now,
            _not_held_back(now),
        )
    )
    return result if isinstance(result, datetime) else None
