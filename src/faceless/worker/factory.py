"""Choosing the job queue from settings: Celery when Redis is configured, else embedded."""

from __future__ import annotations

from typing import TYPE_CHECKING

from faceless.worker.queue import JobQueue

if TYPE_CHECKING:
    from faceless.services import Services


def create_queue(services: Services) -> JobQueue:
    # Imported lazily: services.py imports this module, and both implementations
    # import the runner, which needs the finished Services type only at run time.
    if services.settings.redis.url:
        from faceless.worker.celery_queue import CeleryQueue

        return CeleryQueue(services.settings)
    from faceless.worker.embedded import EmbeddedQueue

    return EmbeddedQueue(services)
