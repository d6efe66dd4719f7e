"""The Celery application: Redis broker, one task, settings for at-least-once delivery.

Delivery is at least once (``acks_late``, ``reject_on_worker_lost``, prefetch 1),
and the runner's atomic claim makes duplicates harmless, so a lost worker costs a
redelivery, never a lost or doubled job. Messages are JSON only (no pickle from
the broker), there is no result backend: results live in the jobs table.

Building the app needs no Redis connection, and importing this module builds
nothing: ``get_celery_app()`` (or the lazy ``celery_app`` attribute, for
``celery -A faceless.worker.celery_app:celery_app worker``) builds it from the
environment on first use, so importing the API never requires Redis.

Each worker process (and thread) keeps one asyncio event loop and one Services
for its lifetime: asyncpg connections belong to the loop that opened them, so a
loop per task (``asyncio.run``) would strand the pool; one long-lived
``asyncio.Runner`` keeps the pool valid and warm across tasks. Prefork children
build theirs after the fork, on their first task.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from celery import Celery
from celery.signals import worker_init, worker_process_shutdown, worker_shutdown

from faceless.settings import Settings, load_settings

if TYPE_CHECKING:
    from faceless.audit.exporter import HeadExporter
    from faceless.services import Services

logger = logging.getLogger(__name__)

TASK_NAME = "faceless.run_job"
QUEUE = "faceless"


def visibility_timeout(settings: Settings) -> int:
    """Seconds before Redis redelivers an unacknowledged message: above the longest job.

    Transcription is the long one; even slow CPU recognition runs well within 3x
    real time of the longest audio accepted. A job that outlives it is redelivered
    and the duplicate's claim simply fails.
    """
    return max(3600, int(3 * settings.worker.max_audio_seconds) + 600)


def create_celery_app(settings: Settings) -> Celery:
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

    @app.task(name=TASK_NAME, ignore_result=True, acks_late=True)
    def run_job_task(job_id: str) -> None:
        try:
            parsed = uuid.UUID(job_id)
        except (TypeError, ValueError):
            logger.warning("dropping a %s message with a malformed job id", TASK_NAME)
            return
        _runtime(settings).run(parsed)

    return app


class _WorkerRuntime:
    def __init__(self, settings: Settings) -> None:
        self.pid = os.getpid()
        self._settings = settings
        self._runner = asyncio.Runner()
        self._services: Services | None = None
        self._audit_exporter: HeadExporter | None = None

    def run(self, job_id: uuid.UUID) -> None:
        self._runner.run(self._run(job_id))

    async def _run(self, job_id: uuid.UUID) -> None:
        from faceless.worker.runner import run_job

        if self._services is None:
            from faceless.audit.exporter import HeadExporter
            from faceless.services import build_services

            self._services = build_services(self._settings)
            self._audit_exporter = HeadExporter.for_services(self._services)
        await run_job(self._services, job_id)
        # No loop runs between tasks, so no background exporter: check after each job.
        if self._audit_exporter is not None:
            await self._audit_exporter.export_if_due()

    def close(self) -> None:
        try:
            if self._services is not None:
                self._runner.run(self._services.close())
        finally:
            self._services = None
            self._runner.close()


_local = threading.local()
_runtimes: list[_WorkerRuntime] = []
_runtimes_lock = threading.Lock()


def _runtime(settings: Settings) -> _WorkerRuntime:
    runtime: _WorkerRuntime | None = getattr(_local, "runtime", None)
    if runtime is None or runtime.pid != os.getpid():
        runtime = _WorkerRuntime(settings)
        _local.runtime = runtime
        with _runtimes_lock:
            _runtimes.append(runtime)
    return runtime


@worker_init.connect(weak=False)
def _import_job_code(**_kwargs: Any) -> None:
    # In the main worker process, before the pool forks: children inherit the
    # imported modules instead of importing them on their first job. Only imports:
    # engines and connections are made after the fork (threads do not survive one).
    import faceless.publishing.tasks
    import faceless.services
    import faceless.transcribe.tasks
    import faceless.worker.runner  # noqa: F401


@worker_process_shutdown.connect(weak=False)
@worker_shutdown.connect(weak=False)
def _close_runtimes(**_kwargs: Any) -> None:
    pid = os.getpid()
    with _runtimes_lock:
        mine = [r for r in _runtimes if r.pid == pid]
        _runtimes[:] = [r for r in _runtimes if r.pid != pid]
    for runtime in mine:
        try:
            runtime.close()
        except Exception:
            logger.warning("closing a worker runtime failed", exc_info=True)


_app: Celery | None = None
_app_lock = threading.Lock()


def get_celery_app() -> Celery:
    """The process-wide app, built from the environment on first use."""
    global _app
    with _app_lock:
        if _app is None:
            _app = create_celery_app(load_settings())
        return _app


def __getattr__(name: str) -> Celery:
    # ``celery -A faceless.worker.celery_app:celery_app``, without building at import.
    if name == "celery_app":
        return get_celery_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def run_worker(
    settings: Settings,
    *,
    concurrency: int,
    queues: Sequence[str] = (QUEUE,),
    pool: str = "prefork",
    loglevel: str = "INFO",
    hostname: str | None = None,
) -> None:
    """Run a Celery worker in this process until it is told to stop (blocking).

    SIGTERM is a warm shutdown (running jobs finish); a second one, or SIGQUIT,
    stops at once and the jobs are redelivered or swept. Configure logging before
    calling: the worker does not take over the root logger.
    """
    global _app
    app = create_celery_app(settings)
    with _app_lock:
        _app = app
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--pool={pool}",
        f"--loglevel={loglevel}",
        f"--queues={','.join(queues)}",
        # The database is the source of truth for cancels, so there is nothing to
        # sync between workers at start-up; skipping mingle saves a second per start.
        "--without-mingle",
        "--without-gossip",
    ]
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)
