"""The embedded default's job queue: in-process workers, no Redis.

``start()`` launches ``settings.worker.embedded_workers`` consumer tasks on the
running loop (the API's), re-sends the jobs the database says are still queued
(an in-memory queue does not survive a restart) and runs the scheduler loop with
its sweep, since the embedded default has no separate scheduler process.
``close()`` cancels all of it: a running job is handed back to the queue in the
database and its engine thread stops at its next checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from faceless.db.session import transaction
from faceless.worker import repository
from faceless.worker.enqueue import enqueue_after_commit
from faceless.worker.handlers import JobContext
from faceless.worker.runner import run_job
from faceless.worker.scheduler import run_scheduler

logger = logging.getLogger(__name__)

RECOVER_LIMIT = 10_000
SCHEDULER_TASK = "faceless-scheduler"
CLOSE_GRACE_SECONDS = 10.0


class EmbeddedQueue:
    name = "embedded"

    def __init__(self, ctx: JobContext) -> None:
        self._ctx = ctx
        self._queue: asyncio.Queue[uuid.UUID] = asyncio.Queue()
        # Ids waiting in the queue, so repeated sends (sweep, recovery) do not pile up.
        self._waiting: set[uuid.UUID] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._stop = asyncio.Event()

    async def start(self) -> None:
        if self._tasks:
            return
        # A fresh queue and event for this loop, keeping anything sent before start().
        old, self._queue = self._queue, asyncio.Queue()
        while not old.empty():
            self._queue.put_nowait(old.get_nowait())
        self._stop = asyncio.Event()
        workers = self._ctx.settings.worker.embedded_workers
        self._tasks = [
            asyncio.create_task(self._consume(), name=f"faceless-embedded-worker-{n}")
            for n in range(workers)
        ]
        self._tasks.append(asyncio.create_task(self._recover_and_schedule(), name=SCHEDULER_TASK))

    async def close(self) -> None:
        self._stop.set()
        tasks, self._tasks = self._tasks, []
        # The scheduler stops by itself once its round is over. Cancelling it mid-query
        # could leave a database call running on a driver thread (aiosqlite) after the
        # event loop is gone; idle consumers, waiting on the queue, are safe to cancel.
        scheduler = [task for task in tasks if task.get_name() == SCHEDULER_TASK]
        if scheduler:
            await asyncio.wait(scheduler, timeout=CLOSE_GRACE_SECONDS)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def enqueue(self, job_id: uuid.UUID) -> None:
        if job_id in self._waiting:
            return
        self._waiting.add(job_id)
        self._queue.put_nowait(job_id)

    async def revoke(self, job_id: uuid.UUID) -> None:
        # Nothing to do: a cancelled job fails its claim and is skipped when reached.
        return None

    async def health(self) -> str:
        if not self._tasks:
            return "not started"
        if any(task.done() for task in self._tasks):
            return "a worker task stopped"
        return "ok"

    async def _consume(self) -> None:
        while True:
            job_id = await self._queue.get()
            self._waiting.discard(job_id)
            try:
                await run_job(self._ctx, job_id)
            except Exception:
                logger.exception("embedded worker: job %s crashed the runner", job_id)

    async def _recover_and_schedule(self) -> None:
        await self._recover()
        await run_scheduler(
            self._ctx,
            stop=self._stop,
            interval=self._ctx.settings.worker.scheduler_interval_seconds,
        )

    async def _recover(self) -> None:
        try:
            async with transaction(self._ctx.sessions) as session:
                queued = await repository.queued_ids(session, limit=RECOVER_LIMIT)
                for job_id in queued:
                    enqueue_after_commit(session, self, job_id)
        except Exception:
            logger.warning("could not look for queued jobs to resume", exc_info=True)
            return
        if queued:
            logger.info("resuming %d queued job(s)", len(queued))
