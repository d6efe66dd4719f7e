"""The job queue interface the API talks to.

Two implementations run the same task code: Celery over Redis in production
(``celery_queue.py``) and an in-process worker for the embedded default
(``embedded.py``). Jobs are sent only after the transaction that created them
has committed, so a worker never looks for a row that is not there yet.
"""

from __future__ import annotations

import uuid
from typing import Protocol


class JobQueue(Protocol):
    name: str

    async def start(self) -> None:
        """Begin consuming (embedded) or connect (Celery)."""

    async def close(self) -> None: ...

    async def enqueue(self, job_id: uuid.UUID) -> None:
        """Hand a committed, queued job to a worker."""

    async def revoke(self, job_id: uuid.UUID) -> None:
        """Best effort: drop queued work for a cancelled job. Running work stops at a checkpoint."""

    async def health(self) -> str:
        """``"ok"`` or a short reason."""
