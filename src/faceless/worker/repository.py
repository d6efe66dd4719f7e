"""All SQL for the jobs table: the API's reads and the worker side's claim, heartbeat,
finish and sweep.

Every state change is one conditional UPDATE whose row count says whether it
happened, so concurrent workers, sweepers and the API's cancel never overwrite
each other. A claim increments ``attempts``; the attempt number is the running
worker's ownership token: writes from a worker whose job was swept and claimed
again by another one (``attempts`` moved on) match no row and change nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.encryption import seal_column

# add and delete are re-exported: the jobs table has this one repository.
from faceless.db.repository import add as add
from faceless.db.repository import affected_rows, count_rows, get_owned, paginate
from faceless.db.repository import delete as delete
from faceless.models import Job, JobKind, JobStatus, User

_ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class ClaimedJob:
    """What a job body needs, detached from any session."""

    id: uuid.UUID
    kind: JobKind
    owner_id: uuid.UUID
    video_id: uuid.UUID | None
    language: str
    input_name: str | None
    attempt: int


async def get_visible(
    session: AsyncSession,
    job_id: uuid.UUID,
    *,
    owner_id: uuid.UUID | None,
    for_update: bool = False,
) -> Job | None:
    return await get_owned(session, Job, job_id, owner_id=owner_id, for_update=for_update)


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


def _owner_enabled() -> Any:
    return exists().where(User.id == Job.owner_id, User.disabled.is_(False))


def _mine(job_id: uuid.UUID, attempt: int) -> Any:
    return (Job.id == job_id) & (Job.status == JobStatus.RUNNING) & (Job.attempts == attempt)


async def claim(session: AsyncSession, job_id: uuid.UUID, *, now: datetime) -> ClaimedJob | None:
    """Take a queued job whose owner is enabled; None when it is not ours to run."""
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED, _owner_enabled())
        .values(
            status=JobStatus.RUNNING,
            started_at=now,
            heartbeat_at=now,
            progress=0.0,
            attempts=Job.attempts + 1,
        )
        .execution_options(synchronize_session=False)
    )
    if affected_rows(result) != 1:
        return None
    return await snapshot(session, job_id)


async def cancel_if_owner_disabled(
    session: AsyncSession, job_id: uuid.UUID, *, now: datetime
) -> bool:
    """Cancel a queued job whose owner is disabled (it must never run); False otherwise."""
    result = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED, ~_owner_enabled())
        .values(status=JobStatus.CANCELLED, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


async def count_active(session: AsyncSession, owner_id: uuid.UUID) -> int:
    """The owner's queued and running jobs (the per-user quota counts these)."""
    return await count_rows(
        session, select(Job.id).where(Job.owner_id == owner_id, Job.status.in_(_ACTIVE))
    )


async def cancel_active(
    session: AsyncSession, owner_id: uuid.UUID, *, now: datetime
) -> Sequence[uuid.UUID]:
    """Cancel every queued and running job of the owner; returns their ids.

    A running one stops at its next progress step: its heartbeat matches no row.
    """
    result = await session.execute(
        update(Job)
        .where(Job.owner_id == owner_id, Job.status.in_(_ACTIVE))
        .values(status=JobStatus.CANCELLED, finished_at=now)
        .returning(Job.id)
        .execution_options(synchronize_session=False)
    )
    return result.scalars().all()


async def snapshot(session: AsyncSession, job_id: uuid.UUID) -> ClaimedJob | None:
    row = (
        await session.execute(
            select(
                Job.kind, Job.owner_id, Job.video_id, Job.language, Job.input_name, Job.attempts
            ).where(Job.id == job_id)
        )
    ).one_or_none()
    if row is None:
        return None
    return ClaimedJob(
        id=job_id,
        kind=JobKind(row.kind),
        owner_id=row.owner_id,
        video_id=row.video_id,
        language=row.language,
        input_name=row.input_name,
        attempt=row.attempts,
    )


async def get_status(session: AsyncSession, job_id: uuid.UUID) -> JobStatus | None:
    status = await session.scalar(select(Job.status).where(Job.id == job_id))
    return JobStatus(status) if status is not None else None


async def heartbeat(
    session: AsyncSession,
    job_id: uuid.UUID,
    attempt: int,
    *,
    now: datetime,
    progress: float | None = None,
) -> bool:
    """Record liveness (and progress); False when the job is no longer ours to run."""
    values: dict[str, Any] = {"heartbeat_at": now}
    if progress is not None:
        values["progress"] = max(0.0, min(progress, 0.99))
    result = await session.execute(
        update(Job)
        .where(_mine(job_id, attempt))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(result) == 1


async def mark_succeeded(
    session: AsyncSession, job_id: uuid.UUID, attempt: int, *, result: str | None, now: datetime
) -> bool:
    outcome = await session.execute(
        update(Job)
        .where(_mine(job_id, attempt))
        .values(
            status=JobStatus.SUCCEEDED,
            progress=1.0,
            result=seal_column(session, Job.result, job_id, result),
            error=None,
            finished_at=now,
            heartbeat_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return affected_rows(outcome) == 1


async def mark_failed(
    session: AsyncSession, job_id: uuid.UUID, attempt: int, *, error: str, now: datetime
) -> bool:
    outcome = await session.execute(
        update(Job)
        .where(_mine(job_id, attempt))
        .values(status=JobStatus.FAILED, error=error[:500], finished_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(outcome) == 1


async def mark_cancelled(
    session: AsyncSession, job_id: uuid.UUID, attempt: int, *, now: datetime
) -> bool:
    """Finish a cancelled job: keeps the API's ``cancelled`` (and its finished_at)."""
    outcome = await session.execute(
        update(Job)
        .where(
            Job.id == job_id,
            or_(
                Job.status == JobStatus.CANCELLED,
                (Job.status == JobStatus.RUNNING) & (Job.attempts == attempt),
            ),
        )
        .values(
            status=JobStatus.CANCELLED,
            finished_at=func.coalesce(Job.finished_at, now),
            heartbeat_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return affected_rows(outcome) == 1


async def release(session: AsyncSession, job_id: uuid.UUID, attempt: int) -> bool:
    """Hand a job back to the queue on shutdown; the interrupted attempt does not count."""
    outcome = await session.execute(
        update(Job)
        .where(_mine(job_id, attempt))
        .values(status=JobStatus.QUEUED, attempts=Job.attempts - 1, heartbeat_at=None)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(outcome) == 1


# -- sweeping ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StaleJob:
    id: uuid.UUID
    kind: JobKind
    attempts: int
    input_name: str | None


def _last_sign_of_life() -> Any:
    return func.coalesce(Job.heartbeat_at, Job.started_at, Job.created_at)


def _last_handed_over() -> Any:
    # For a queued job heartbeat_at is "last handed to the queue" (see sweep.py).
    return func.coalesce(Job.heartbeat_at, Job.created_at)


async def find_stale_running(
    session: AsyncSession, *, cutoff: datetime, limit: int
) -> Sequence[StaleJob]:
    rows = await session.execute(
        select(Job.id, Job.kind, Job.attempts, Job.input_name)
        .where(Job.status == JobStatus.RUNNING, _last_sign_of_life() < cutoff)
        .order_by(Job.created_at)
        .limit(limit)
    )
    return [StaleJob(r.id, JobKind(r.kind), r.attempts, r.input_name) for r in rows]


async def requeue_stale(
    session: AsyncSession, job: StaleJob, *, cutoff: datetime, now: datetime
) -> bool:
    outcome = await session.execute(
        update(Job)
        .where(
            _mine(job.id, job.attempts),
            _last_sign_of_life() < cutoff,
        )
        .values(status=JobStatus.QUEUED, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(outcome) == 1


async def fail_stale(
    session: AsyncSession, job: StaleJob, *, cutoff: datetime, now: datetime, error: str
) -> bool:
    outcome = await session.execute(
        update(Job)
        .where(_mine(job.id, job.attempts), _last_sign_of_life() < cutoff)
        .values(status=JobStatus.FAILED, error=error, finished_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(outcome) == 1


async def find_unpicked_queued(
    session: AsyncSession, *, cutoff: datetime, limit: int
) -> Sequence[uuid.UUID]:
    rows = await session.scalars(
        select(Job.id)
        .where(Job.status == JobStatus.QUEUED, _last_handed_over() < cutoff)
        .order_by(Job.created_at)
        .limit(limit)
    )
    return rows.all()


async def touch_queued(
    session: AsyncSession, job_id: uuid.UUID, *, cutoff: datetime, now: datetime
) -> bool:
    """Claim the right to re-send a queued job; one sweeper wins per period."""
    outcome = await session.execute(
        update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED, _last_handed_over() < cutoff)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    return affected_rows(outcome) == 1


async def queued_ids(session: AsyncSession, *, limit: int) -> Sequence[uuid.UUID]:
    rows = await session.scalars(
        select(Job.id).where(Job.status == JobStatus.QUEUED).order_by(Job.created_at).limit(limit)
    )
    return rows.all()


async def latest_transcript(
    session: AsyncSession, video_id: uuid.UUID
) -> tuple[uuid.UUID, str] | None:
    """The newest successful transcription of a video: (job id, sealed result)."""
    query = (
        select(Job.id, Job.result)
        .where(
            Job.video_id == video_id,
            Job.kind == JobKind.TRANSCRIBE,
            Job.status == JobStatus.SUCCEEDED,
            Job.result.is_not(None),
        )
        .order_by(Job.finished_at.desc())
        .limit(1)
    )
    row = (await session.execute(query)).one_or_none()
    return None if row is None or row.result is None else (row.id, row.result)


# -- what the metrics report --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ActiveJobs:
    """Queued or running jobs of one kind and status, and the oldest moment among them:
    for queued jobs their creation, for running jobs their last sign of life."""

    kind: JobKind
    status: JobStatus
    count: int
    oldest: datetime | None


async def active_jobs(session: AsyncSession) -> list[ActiveJobs]:
    """One grouped read over the status index: only unfinished jobs are touched."""
    oldest = func.min(
        case((Job.status == JobStatus.QUEUED, Job.created_at), else_=_last_sign_of_life())
    )
    rows = await session.execute(
        select(Job.kind, Job.status, func.count(), oldest)
        .where(Job.status.in_((JobStatus.QUEUED, JobStatus.RUNNING)))
        .group_by(Job.kind, Job.status)
    )
    return [ActiveJobs(JobKind(r[0]), JobStatus(r[1]), int(r[2]), r[3]) for r in rows]
