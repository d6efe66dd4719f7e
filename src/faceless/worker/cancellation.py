"""Cooperative cancellation, progress and liveness for a running job.

The API cancels a job by setting its status to ``cancelled``; nothing can
interrupt a CPU-bound engine in a thread, so the engine calls a checkpoint and
the checkpoint raises. A :class:`JobMonitor` backs that checkpoint: at most once
a second it writes ``heartbeat_at`` and ``progress`` with a conditional UPDATE
whose row count doubles as the status check (0 rows: cancelled, or swept and
now someone else's). A heartbeat task in the event loop writes the same UPDATE
every ``heartbeat_seconds`` even while the engine is silent (model loading, a
long utterance), so only a dead worker's job goes stale.

The engine thread reaches the loop with ``anyio.from_thread.run``; that works
wherever the job runs on an asyncio loop with the thread started by
``anyio.to_thread.run_sync``: in the API process (embedded) and in a Celery
worker (which runs each task with its own loop).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from typing import Literal

import anyio.from_thread
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import JobStatus
from faceless.speech.engines.base import TranscriptionCancelled
from faceless.worker import repository

logger = logging.getLogger(__name__)

StopReason = Literal["cancelled", "lost", "shutdown"]
CHECK_INTERVAL_SECONDS = 1.0


class JobStopped(TranscriptionCancelled):
    """Stop the job now. A TranscriptionCancelled, so engines let it through.

    ``cancelled``: the owner cancelled it. ``lost``: it was swept and belongs to
    another attempt now. ``shutdown``: this worker is stopping.
    """

    def __init__(self, reason: StopReason) -> None:
        super().__init__(reason)
        self.reason: StopReason = reason


class JobError(Exception):
    """An expected failure; the message is written for the job's owner."""


class JobMonitor:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        job_id: uuid.UUID,
        attempt: int,
        *,
        heartbeat_seconds: float,
        check_interval: float = CHECK_INTERVAL_SECONDS,
    ) -> None:
        self._sessions = sessions
        self.job_id = job_id
        self.attempt = attempt
        self._heartbeat_seconds = heartbeat_seconds
        self._check_interval = check_interval
        self._last_check = time.monotonic()
        # Written by the loop, read by the engine thread: a plain attribute is enough
        # (one reference store; the thread only needs to see it eventually).
        self.stop_reason: StopReason | None = None

    def stop(self, reason: StopReason) -> None:
        if self.stop_reason is None:
            self.stop_reason = reason

    def raise_if_stopped(self) -> None:
        if self.stop_reason is not None:
            raise JobStopped(self.stop_reason)

    async def beat(self, progress: float | None = None) -> None:
        """One heartbeat. A database hiccup is logged, never fatal to the job."""
        try:
            async with transaction(self._sessions) as session:
                alive = await repository.heartbeat(
                    session, self.job_id, self.attempt, now=utcnow(), progress=progress
                )
                status = None if alive else await repository.get_status(session, self.job_id)
        except Exception:
            logger.warning("heartbeat for job %s failed", self.job_id, exc_info=True)
            return
        if not alive:
            self.stop("cancelled" if status in (JobStatus.CANCELLED, None) else "lost")

    async def checkpoint(self, progress: float) -> None:
        """Async checkpoint for bodies running in the loop."""
        self.raise_if_stopped()
        now = time.monotonic()
        if now - self._last_check >= self._check_interval:
            self._last_check = now
            await self.beat(progress)
            self.raise_if_stopped()

    def checkpoint_from_thread(self, progress: float) -> None:
        """The engine's checkpoint: called in a worker thread, may raise JobStopped."""
        self.raise_if_stopped()
        if time.monotonic() - self._last_check >= self._check_interval:
            anyio.from_thread.run(self.checkpoint, progress)

    async def run_heartbeat(self) -> None:
        while self.stop_reason is None:
            await asyncio.sleep(self._heartbeat_seconds)
            await self.beat()
