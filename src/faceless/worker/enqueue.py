"""Background work sent only after the transaction that created it has committed.

A job row and its message must agree: a worker handed a job id before the commit
may look for a row that is not there yet, and a message for a transaction that
rolled back would run work nobody asked for. So services never call the queue
directly: they ``enqueue_after_commit`` inside the unit of work, and the
transaction scope (:func:`faceless.db.session.transaction`) sends on commit and
drops on rollback. Files follow the same rule: an upload stored for a job that was
never committed is removed, and a finished job's input is removed only once its
deletion has committed.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.session import after_commit, on_rollback
from faceless.worker.queue import JobQueue

logger = logging.getLogger(__name__)


def enqueue_after_commit(session: AsyncSession, queue: JobQueue, job_id: uuid.UUID) -> None:
    async def send() -> None:
        try:
            await queue.enqueue(job_id)
        except Exception:
            # Still queued in the database: the sweep sends it again.
            logger.warning("could not send job %s; the sweep will", job_id, exc_info=True)

    after_commit(session, send)


def revoke_after_commit(session: AsyncSession, queue: JobQueue, job_id: uuid.UUID) -> None:
    """Best effort: the worker also stops at its next checkpoint, seeing the cancel."""

    async def revoke() -> None:
        await queue.revoke(job_id)

    after_commit(session, revoke)


def discard_on_rollback(session: AsyncSession, path: Path) -> None:
    on_rollback(session, lambda: path.unlink(missing_ok=True))


def delete_after_commit(session: AsyncSession, path: Path) -> None:
    async def delete() -> None:
        await asyncio.to_thread(path.unlink, missing_ok=True)

    after_commit(session, delete)
