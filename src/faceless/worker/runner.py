"""Running one job: claim, run the body, record the outcome.

The same function runs in the embedded worker (inside the API's loop) and in a
Celery task. Duplicate deliveries are harmless: the claim is a conditional
UPDATE (``queued`` -> ``running``) and only one caller wins it; the losers (and
messages for cancelled jobs) return at once. A job whose owner is disabled is never
claimed: it is cancelled instead, and settled like any job cancelled before it ran.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Literal

import anyio

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.metrics.instruments import JOB_DURATION, declare_job_kinds
from faceless.models import JobKind, JobStatus
from faceless.speech.engines.base import TranscriptionCancelled
from faceless.worker import repository
from faceless.worker.cancellation import JobError, JobMonitor, JobStopped
from faceless.worker.handlers import JobContext, JobHandler
from faceless.worker.repository import ClaimedJob

logger = logging.getLogger(__name__)

INTERNAL_ERROR = "The job failed because of an internal error."
RELEASE_TIMEOUT_SECONDS = 5.0

declare_job_kinds([kind.value for kind in JobKind])


@dataclass(frozen=True, slots=True)
class _Outcome:
    status: Literal["succeeded", "failed", "cancelled", "lost", "shutdown"]
    result: str | None = None
    error: str | None = None


async def run_job(ctx: JobContext, job_id: uuid.UUID) -> None:
    async with transaction(ctx.sessions) as session:
        now = utcnow()
        job = await repository.claim(session, job_id, now=now)
        if job is None and await repository.cancel_if_owner_disabled(session, job_id, now=now):
            logger.info("job %s cancelled: its owner is disabled", job_id)
    if job is None:
        await _after_unclaimed(ctx, job_id)
        return
    logger.info("job %s (%s) started, attempt %d", job.id, job.kind, job.attempt)
    handler = ctx.jobs.handler_for(job.kind)
    monitor = JobMonitor(
        ctx.sessions,
        job.id,
        job.attempt,
        heartbeat_seconds=ctx.settings.worker.heartbeat_seconds,
    )
    started = time.monotonic()
    outcome = await _run_body(ctx, handler, job, monitor)
    await _record(ctx, handler, job, outcome, seconds=time.monotonic() - started)


async def _run_body(
    ctx: JobContext, handler: JobHandler, job: ClaimedJob, monitor: JobMonitor
) -> _Outcome:
    heartbeat = asyncio.create_task(monitor.run_heartbeat(), name=f"heartbeat-{job.id}")
    try:
        result = await handler.run(ctx, job, monitor)
    except JobStopped as exc:
        return _Outcome(exc.reason)
    except TranscriptionCancelled:
        return _Outcome(monitor.stop_reason or "cancelled")
    except JobError as exc:
        logger.info("job %s failed: %s", job.id, exc)
        return _Outcome("failed", error=str(exc) or INTERNAL_ERROR)
    except asyncio.CancelledError:
        # This worker is stopping: the engine thread stops at its next checkpoint and
        # the job goes back to the queue for the next start (or another worker).
        monitor.stop("shutdown")
        await _release(ctx, job)
        raise
    except Exception:
        logger.exception("job %s failed with an unexpected error", job.id)
        return _Outcome("failed", error=INTERNAL_ERROR)
    else:
        return _Outcome("succeeded", result=result)
    finally:
        heartbeat.cancel()
        await asyncio.wait([heartbeat])


async def _record(
    ctx: JobContext, handler: JobHandler, job: ClaimedJob, outcome: _Outcome, *, seconds: float
) -> None:
    if outcome.status == "lost":
        logger.warning("job %s was taken over by another attempt; result dropped", job.id)
        return
    if outcome.status == "shutdown":
        await _release(ctx, job)
        return
    now = utcnow()
    final: str = outcome.status
    async with transaction(ctx.sessions) as session:
        if outcome.status == "succeeded":
            won = await repository.mark_succeeded(
                session, job.id, job.attempt, result=outcome.result, now=now
            )
            hook = handler.on_succeeded
        elif outcome.status == "failed":
            won = await repository.mark_failed(
                session, job.id, job.attempt, error=outcome.error or INTERNAL_ERROR, now=now
            )
            hook = handler.on_failed
        else:
            won = await repository.mark_cancelled(session, job.id, job.attempt, now=now)
            hook = handler.on_cancelled
        if not won and await repository.get_status(session, job.id) == JobStatus.CANCELLED:
            # Cancelled while finishing. The status stays the owner's "cancelled"; work
            # that did complete (a package that went out) is still recorded by its hook.
            won = await repository.mark_cancelled(session, job.id, job.attempt, now=now)
            final = "cancelled"
            if outcome.status != "succeeded":
                hook = handler.on_cancelled
        if won:
            await hook(session, job)
    if not won:
        logger.warning("job %s changed hands before its outcome was recorded", job.id)
        return
    logger.info("job %s finished: %s", job.id, final)
    JOB_DURATION.labels(job.kind.value, final).observe(seconds)
    _cleanup(ctx, handler, job)


async def _release(ctx: JobContext, job: ClaimedJob) -> None:
    with anyio.CancelScope(shield=True), anyio.move_on_after(RELEASE_TIMEOUT_SECONDS):
        try:
            async with transaction(ctx.sessions) as session:
                await repository.release(session, job.id, job.attempt)
        except Exception:
            # The sweep re-queues it once its heartbeat is stale.
            logger.warning("could not release job %s on shutdown", job.id, exc_info=True)


async def _after_unclaimed(ctx: JobContext, job_id: uuid.UUID) -> None:
    async with transaction(ctx.sessions) as session:
        status = await repository.get_status(session, job_id)
        cancelled = (
            await repository.snapshot(session, job_id) if status == JobStatus.CANCELLED else None
        )
        if cancelled is not None:
            # Cancelled before it ever ran: settle what depends on it (a publish job's
            # schedule) now; its transient input goes after the commit.
            await ctx.jobs.handler_for(cancelled.kind).on_cancelled(session, cancelled)
    logger.info("job %s not claimed: it is %s", job_id, status or "gone")
    if cancelled is not None:
        _cleanup(ctx, ctx.jobs.handler_for(cancelled.kind), cancelled)


def _cleanup(ctx: JobContext, handler: JobHandler, job: ClaimedJob) -> None:
    try:
        handler.cleanup(ctx.settings, job)
    except Exception:
        logger.warning("cleanup after job %s failed", job.id, exc_info=True)
