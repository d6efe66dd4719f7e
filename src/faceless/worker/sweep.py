"""Recovering jobs that lost their worker or their message.

* ``running`` with a heartbeat older than ``stale_job_seconds``: the worker died
  (kill -9, lost machine). Back to ``queued`` and re-sent while attempts remain,
  else ``failed`` with a plain message. Both are conditional on the same stale
  heartbeat and attempt number, so a worker that was merely slow and beats again
  first keeps its job.
* ``queued`` and not handed to the queue for ``LOST_QUEUED_SECONDS``: the message
  was lost (a broker flushed, an embedded process stopped). Re-sent. For a queued
  job, ``heartbeat_at`` means "last handed to the queue"; taking the re-send is a
  conditional UPDATE of it, so several sweepers re-send a job once per period.
* A publish job cancelled before it ran (its message revoked): its schedule is
  cancelled too, so it does not stay claimed but pending.

Sending a job twice is harmless: the runner's claim lets one delivery win.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.publishing import tasks as publish_tasks
from faceless.worker import repository
from faceless.worker.handlers import handler_for

if TYPE_CHECKING:
    from faceless.services import Services

logger = logging.getLogger(__name__)

WORKER_STOPPED = "The worker processing this job stopped."
LOST_QUEUED_SECONDS = 300.0
BATCH = 100


async def sweep_stale_jobs(
    services: Services,
    *,
    now: datetime | None = None,
    lost_queued_seconds: float = LOST_QUEUED_SECONDS,
) -> int:
    """Recover what needs it (see the module docstring); returns how many jobs it touched."""
    now = now or utcnow()
    async with transaction(services.sessions) as session:
        settled = await publish_tasks.settle_cancelled_jobs(session)
    to_send, failed = await _recover_stale_running(services, now)
    to_send += await _reclaim_unpicked_queued(services, now, lost_queued_seconds)
    for job_id in to_send:
        try:
            await services.queue.enqueue(job_id)
        except Exception:
            # Still queued in the database; the next sweep period sends it again.
            logger.warning("could not re-send job %s", job_id, exc_info=True)
    return len(to_send) + failed + settled


async def _recover_stale_running(services: Services, now: datetime) -> tuple[list[uuid.UUID], int]:
    worker = services.settings.worker
    cutoff = now - timedelta(seconds=worker.stale_job_seconds)
    async with transaction(services.sessions) as session:
        stale = await repository.find_stale_running(session, cutoff=cutoff, limit=BATCH)
    requeued: list[uuid.UUID] = []
    failed = 0
    for job in stale:
        if job.attempts < worker.max_attempts:
            async with transaction(services.sessions) as session:
                won = await repository.requeue_stale(session, job, cutoff=cutoff, now=now)
            if won:
                logger.warning("job %s lost its worker; re-queued", job.id)
                requeued.append(job.id)
            continue
        handler = handler_for(job.kind)
        async with transaction(services.sessions) as session:
            won = await repository.fail_stale(
                session, job, cutoff=cutoff, now=now, error=WORKER_STOPPED
            )
            snapshot = await repository.snapshot(session, job.id) if won else None
            if snapshot is not None:
                await handler.on_failed(session, snapshot)
        if snapshot is None:
            continue
        failed += 1
        logger.warning("job %s lost its worker %d times; failed", job.id, job.attempts)
        try:
            handler.cleanup(services.settings, snapshot)
        except Exception:
            logger.warning("cleanup after job %s failed", job.id, exc_info=True)
    return requeued, failed


async def _reclaim_unpicked_queued(
    services: Services, now: datetime, lost_queued_seconds: float
) -> list[uuid.UUID]:
    cutoff = now - timedelta(seconds=lost_queued_seconds)
    async with transaction(services.sessions) as session:
        candidates = await repository.find_unpicked_queued(session, cutoff=cutoff, limit=BATCH)
    resend: list[uuid.UUID] = []
    for job_id in candidates:
        async with transaction(services.sessions) as session:
            won = await repository.touch_queued(session, job_id, cutoff=cutoff, now=now)
        if won:
            logger.info("job %s was never picked up; sending it again", job_id)
            resend.append(job_id)
    return resend
