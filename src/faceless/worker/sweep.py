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
* Whatever depends on jobs that ended without running is settled by their handler's
  ``settle`` hook (a publish job cancelled before it ran cancels its schedule, so it
  does not stay claimed but pending).

Sending a job twice is harmless: the runner's claim lets one delivery win.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.worker import repository
from faceless.worker.enqueue import enqueue_after_commit
from faceless.worker.handlers import JobContext

logger = logging.getLogger(__name__)

WORKER_STOPPED = "The worker processing this job stopped."
LOST_QUEUED_SECONDS = 300.0
BATCH = 100


async def sweep_stale_jobs(
    ctx: JobContext,
    *,
    now: datetime | None = None,
    lost_queued_seconds: float = LOST_QUEUED_SECONDS,
) -> int:
    """Recover what needs it (see the module docstring); returns how many jobs it touched."""
    now = now or utcnow()
    async with transaction(ctx.sessions) as session:
        settled = 0
        for handler in ctx.jobs.handlers.values():
            settled += await handler.settle(session)
    requeued, failed = await _recover_stale_running(ctx, now)
    resent = await _reclaim_unpicked_queued(ctx, now, lost_queued_seconds)
    return requeued + resent + failed + settled


async def _recover_stale_running(ctx: JobContext, now: datetime) -> tuple[int, int]:
    worker = ctx.settings.worker
    cutoff = now - timedelta(seconds=worker.stale_job_seconds)
    async with transaction(ctx.sessions) as session:
        stale = await repository.find_stale_running(session, cutoff=cutoff, limit=BATCH)
    requeued = failed = 0
    for job in stale:
        if job.attempts < worker.max_attempts:
            async with transaction(ctx.sessions) as session:
                if await repository.requeue_stale(session, job, cutoff=cutoff, now=now):
                    logger.warning("job %s lost its worker; re-queued", job.id)
                    enqueue_after_commit(session, ctx.queue, job.id)
                    requeued += 1
            continue
        handler = ctx.jobs.handler_for(job.kind)
        async with transaction(ctx.sessions) as session:
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
            handler.cleanup(ctx.settings, snapshot)
        except Exception:
            logger.warning("cleanup after job %s failed", job.id, exc_info=True)
    return requeued, failed


async def _reclaim_unpicked_queued(
    ctx: JobContext, now: datetime, lost_queued_seconds: float
) -> int:
    cutoff = now - timedelta(seconds=lost_queued_seconds)
    async with transaction(ctx.sessions) as session:
        candidates = await repository.find_unpicked_queued(session, cutoff=cutoff, limit=BATCH)
    resent = 0
    for job_id in candidates:
        async with transaction(ctx.sessions) as session:
            if await repository.touch_queued(session, job_id, cutoff=cutoff, now=now):
                logger.info("job %s was never picked up; sending it again", job_id)
                enqueue_after_commit(session, ctx.queue, job_id)
                resent += 1
    return resent
