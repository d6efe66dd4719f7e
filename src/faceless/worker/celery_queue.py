"""The production JobQueue: jobs go to Celery workers through Redis.

Celery's client calls block on the network, so each runs in a thread; the retry
policy (celery_config.py) bounds how long a send can take when Redis is down.
"""

from __future__ import annotations

import functools
import logging
import uuid

import anyio
import anyio.to_thread
import redis.asyncio as aioredis
from celery import Celery

from faceless.settings import Settings
from faceless.worker.celery_config import QUEUE, TASK_NAME, create_celery_app

logger = logging.getLogger(__name__)

REVOKE_TIMEOUT_SECONDS = 3.0


class CeleryQueue:
    name = "celery"

    def __init__(self, settings: Settings) -> None:
        if not settings.redis.url:
            raise ValueError("CeleryQueue needs REDIS_URL")
        self._settings = settings
        self._url = settings.redis.url
        self._app: Celery | None = None

    @property
    def app(self) -> Celery:
        if self._app is None:
            self._app = create_celery_app(self._settings)
        return self._app

    async def start(self) -> None:
        self.app  # noqa: B018 - build it now so a bad configuration shows at start-up

    async def close(self) -> None:
        if self._app is not None:
            app, self._app = self._app, None
            await anyio.to_thread.run_sync(app.close)

    async def enqueue(self, job_id: uuid.UUID) -> None:
        # The task id is the job id, so revoke() can name it.
        send = functools.partial(
            self.app.send_task, TASK_NAME, args=[str(job_id)], task_id=str(job_id), queue=QUEUE
        )
        await anyio.to_thread.run_sync(send)

    async def revoke(self, job_id: uuid.UUID) -> None:
        revoke = functools.partial(self.app.control.revoke, str(job_id))
        try:
            with anyio.fail_after(REVOKE_TIMEOUT_SECONDS):
                await anyio.to_thread.run_sync(revoke, abandon_on_cancel=True)
        except Exception:
            # Best effort: the job is cancelled in the database, which workers check.
            logger.warning("could not broadcast revoke for job %s", job_id, exc_info=True)

    async def health(self) -> str:
        timeout = self._settings.redis.socket_timeout
        client = aioredis.Redis.from_url(
            self._url, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        try:
            with anyio.fail_after(timeout * 2):
                await client.ping()
        except Exception as exc:
            return f"broker unavailable ({type(exc).__name__})"
        finally:
            await client.aclose()
        return "ok"
