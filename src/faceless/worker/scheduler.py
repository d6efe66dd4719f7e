"""Publishing due schedules exactly once, however many schedulers run.

Each due schedule is claimed with a conditional UPDATE (``claimed_at`` from NULL
to now, still ``pending``, still due): the database lets exactly one scheduler
see a row count of 1. The winner creates the publish job and links it in the
same transaction, commits, and only then sends the job. Candidates are read
without locks; the claim alone decides, on PostgreSQL (a concurrent UPDATE of
the row waits for the first and re-checks the condition) and on SQLite (writers
are serialised) alike. If sending fails the job is still ``queued`` in the
database and the sweep re-sends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

import anyio
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import Job, JobKind, JobStatus, Schedule, ScheduleStatus
from faceless.settings import Settings
from faceless.worker.repository import rowcount
from faceless.worker.sweep import sweep_stale_jobs

if TYPE_CHECKING:
    from faceless.services import Services

logger = logging.getLogger(__name__)

BATCH = 50


class StopEvent(Protocol):
    def is_set(self) -> bool: ...

    async def wait(self) -> object: ...


async def publish_due(services: Services, *, now: datetime | None = None) -> int:
    """Claim every due pending schedule we can, create and send its job; returns how many."""
    now = now or utcnow()
    async with transaction(services.sessions) as session:
        candidates = (
            await session.scalars(
                select(Schedule.id)
                .where(
                    Schedule.status == ScheduleStatus.PENDING,
                    Schedule.claimed_at.is_(None),
                    Schedule.publish_at <= now,
                )
                .order_by(Schedule.publish_at)
                .limit(BATCH)
            )
        ).all()
    claimed = 0
    for schedule_id in candidates:
        async with transaction(services.sessions) as session:
            job_id = await _claim(session, schedule_id, now=now)
        if job_id is None:
            continue
        claimed += 1
        # Sent right after its own commit, so a later failure cannot strand it unsent.
        try:
            await services.queue.enqueue(job_id)
        except Exception:
            logger.warning("could not send publish job %s; the sweep will", job_id, exc_info=True)
    return claimed


async def _claim(
    session: AsyncSession, schedule_id: uuid.UUID, *, now: datetime
) -> uuid.UUID | None:
    result = await session.execute(
        update(Schedule)
        .where(
            Schedule.id == schedule_id,
            Schedule.status == ScheduleStatus.PENDING,
            Schedule.claimed_at.is_(None),
            Schedule.publish_at <= now,
        )
        .values(claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if rowcount(result) != 1:
        return None  # another scheduler won, or it was cancelled meanwhile
    schedule = await session.get_one(Schedule, schedule_id)
    job = Job(
        id=uuid.uuid4(),
        owner_id=schedule.owner_id,
        kind=JobKind.PUBLISH,
        status=JobStatus.QUEUED,
        progress=0.0,
        video_id=schedule.video_id,
        created_at=now,
        attempts=0,
    )
    session.add(job)
    await session.flush()
    schedule.job_id = job.id
    await session.flush()
    logger.info("schedule %s claimed; publish job %s", schedule_id, job.id)
    return job.id


async def run_scheduler(services: Services, *, stop: StopEvent, interval: float) -> None:
    """Publish due schedules and sweep stale jobs every ``interval`` s until ``stop`` is set.

    A due schedule is picked up within ``interval`` seconds of its time (the API
    promises 60; the default is 5). A failing round is logged and retried.
    """
    while not stop.is_set():
        try:
            await publish_due(services)
            await sweep_stale_jobs(services)
        except Exception:
            logger.exception("scheduler round failed")
        with anyio.move_on_after(interval):
            await stop.wait()


def run_scheduler_forever(settings: Settings) -> None:
    """The ``faceless scheduler`` process: blocks until SIGTERM or SIGINT.

    Production only: it sends jobs to Celery workers. The embedded default (no
    REDIS_URL) runs its scheduler inside the API process instead.
    """
    if not settings.redis.url:
        raise SystemExit(
            "faceless scheduler needs REDIS_URL (jobs go to Celery workers); "
            "without it, `faceless serve` runs the scheduler in-process."
        )
    asyncio.run(_scheduler_main(settings))


async def _scheduler_main(settings: Settings) -> None:
    from faceless.audit.exporter import HeadExporter
    from faceless.services import build_services

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    services = build_services(settings)
    audit_exporter = HeadExporter.for_services(services)
    try:
        await services.queue.start()
        audit_exporter.start()
        logger.info("scheduler started (every %.1f s)", settings.worker.scheduler_interval_seconds)
        await run_scheduler(
            services, stop=stop, interval=settings.worker.scheduler_interval_seconds
        )
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
        await audit_exporter.close()
        await services.close()
        logger.info("scheduler stopped")
