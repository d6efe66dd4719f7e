"""The Celery configuration: Redis broker, one task, settings for at-least-once delivery.

Delivery is at least once (``acks_late``, ``reject_on_worker_lost``, prefetch 1),
and the runner's atomic claim makes duplicates harmless, so a lost worker costs a
redelivery, never a lost or doubled job. Messages are JSON only (no pickle from
the broker), there is no result backend: results live in the jobs table.

Building the app needs no Redis connection. The API only sends (``celery_queue.py``,
without Celery: ``celery_message.py``);
the worker process (:mod:`faceless.runtime.celery_worker`) passes ``run_job``, the
function the task calls, so this module knows nothing of what a job does.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from celery import Celery

from faceless.settings import Settings
from faceless.worker.celery_message import QUEUE, TASK_NAME

__all__ = ["QUEUE", "TASK_NAME", "create_celery_app", "visibility_timeout"]

logger = logging.getLogger(__name__)


def visibility_timeout(settings: Settings) -> int:
    """Seconds before Redis redelivers an unacknowledged message: above the longest job.

    Transcription is the long one; even slow CPU recognition runs well within 3x
    real time of the longest audio accepted. A job that outlives it is redelivered
    and the duplicate's claim simply fails.
    """
    return max(3600, int(3 * settings.worker.max_audio_seconds) + 600)


def create_celery_app(
    settings: Settings, run_job: Callable[[uuid.UUID], None] | None = None
) -> Celery:
    """The app; with ``run_job`` (in a worker process) it also registers the task."""
    if not settings.redis.url:
        raise ValueError("Celery needs REDIS_URL")
    timeout = visibility_timeout(settings)
    redis_timeout = max(settings.redis.socket_timeout, 1.0)
    app = Celery("faceless", set_as_current=False)
    app.conf.update(
        broker_url=settings.redis.url,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=redis_timeout * 2,
        broker_transport_options={
            "visibility_timeout": timeout,
            "socket_timeout": redis_timeout * 5,
            "socket_connect_timeout": redis_timeout * 2,
        },
        result_backend=None,
        task_ignore_result=True,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        event_serializer="json",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_cancel_long_running_tasks_on_connection_loss=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_default_queue=QUEUE,
        # A job stuck beyond the visibility timeout is killed (prefork); its heartbeat
        # stops and the sweep retries or fails it.
        task_time_limit=timeout,
        # A broker outage must not hang an API request for long: fail fast, the job
        # stays queued in the database and the sweep sends it again.
        task_publish_retry_policy={
            "max_retries": 2,
            "interval_start": 0,
            "interval_step": 0.5,
            "interval_max": 1,
        },
    )

    if run_job is not None:
        _register_task(app, run_job)
    return app


def _register_task(app: Celery, run_job: Callable[[uuid.UUID], None]) -> None:
    @app.task(name=TASK_NAME, ignore_result=True, acks_late=True)
    def run_job_task(job_id: str) -> None:
        try:
            parsed = uuid.UUID(job_id)
        except (TypeError, ValueError):
            logger.warning("dropping a %s message with a malformed job id", TASK_NAME)
            return
        run_job(parsed)
