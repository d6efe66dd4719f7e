"""The production JobQueue: jobs go to Celery workers through Redis.

Sending is one ``LPUSH`` of the task message (``celery_message.py``) with the async
Redis client, so the API process never imports Celery to send (issue 11). A broker
outage fails the send fast (``SEND_ATTEMPTS`` tries, the socket timeouts of
``REDIS_SOCKET_TIMEOUT``): the job stays queued in the database and the sweep sends
it again. Revoking a running job is a broadcast over Celery's control channel
(pidbox); that rare path builds the Celery app on first use, in a thread, as its
client calls block on the network.
"""

from __future__ import annotations

import functools
import logging
import uuid
from typing import TYPE_CHECKING

import anyio
import anyio.to_thread
import redis.asyncio as aioredis

from faceless.settings import Settings
from faceless.worker.celery_message import QUEUE, task_message

if TYPE_CHECKING:
    from celery import Celery

logger = logging.getLogger(__name__)

REVOKE_TIMEOUT_SECONDS = 3.0
# Celery's publish retry policy here was 2 retries, 0 s then 0.5 s apart.
SEND_ATTEMPTS = 3
SEND_RETRY_SECONDS = (0.0, 0.5)


class CeleryQueue:
    name = "celery"

    def __init__(self, settings: Settings) -> None:
        if not settings.redis.url:
            raise ValueError("CeleryQueue needs REDIS_URL")
        self._settings = settings
        self._url = settings.redis.url
        self._redis: aioredis.Redis | None = None
        self._app: Celery | None = None

    def _client(self) -> aioredis.Redis:
        if self._redis is None:
            timeout = max(self._settings.redis.socket_timeout, 1.0)
            self._redis = aioredis.Redis.from_url(
                self._url, socket_timeout=timeout * 5, socket_connect_timeout=timeout * 2
            )
        return self._redis

    @property
    def app(self) -> Celery:
        """The Celery app, for control commands (revoke); built on first use."""
        if self._app is None:
            from faceless.worker.celery_config import create_celery_app

            self._app = create_celery_app(self._settings)
        return self._app

    async def start(self) -> None:
        self._client()  # parses REDIS_URL now, so a bad one shows at start-up

    async def close(self) -> None:
        if self._redis is not None:
            client, self._redis = self._redis, None
            await client.aclose()
        if self._app is not None:
            app, self._app = self._app, None
            await anyio.to_thread.run_sync(app.close)

    async def enqueue(self, job_id: uuid.UUID) -> None:
        message = task_message(job_id)
        for attempt in range(SEND_ATTEMPTS):
            try:
                await self._client().lpush(QUEUE, message)
                return
            except (OSError, aioredis.ConnectionError, aioredis.TimeoutError):
                if attempt == SEND_ATTEMPTS - 1:
                    raise
                await anyio.sleep(SEND_RETRY_SECONDS[min(attempt, len(SEND_RETRY_SECONDS) - 1)])

    async def revoke(self, job_id: uuid.UUID) -> None:
        try:
            with anyio.fail_after(REVOKE_TIMEOUT_SECONDS):
                # Building the app imports Celery: in the thread, off the event loop.
                revoke = functools.partial(self._revoke, str(job_id))
                await anyio.to_thread.run_sync(revoke, abandon_on_cancel=True)
        except Exception:
            # Best effort: the job is cancelled in the database, which workers check.
            logger.warning("could not broadcast revoke for job %s", job_id, exc_info=True)

    def _revoke(self, task_id: str) -> None:
        self.app.control.revoke(task_id)

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
