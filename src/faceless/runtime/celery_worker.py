"""The Celery worker process: one event loop and one Runtime per worker process or thread.

Each worker process (and thread) keeps one asyncio event loop and one Runtime for its
lifetime: asyncpg connections belong to the loop that opened them, so a loop per task
(``asyncio.run``) would strand the pool; one long-lived ``asyncio.Runner`` keeps the
pool valid and warm across tasks. Prefork children build theirs after the fork, on
their first task.

Importing this module builds nothing: ``get_celery_app()`` (or the lazy ``celery_app``
attribute, for ``celery -A faceless.runtime.celery_worker:celery_app worker``) builds
the app from the environment on first use.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import threading
import uuid
from collections.abc import Sequence
from typing import Any

from celery import Celery
from celery.signals import worker_process_shutdown, worker_shutdown

# Imported at module level, so the main worker process loads all job code before the
# pool forks and children inherit it; engines and connections are made after the fork
# (threads do not survive one), on each child's first task.
from faceless.db.audit.head_export_schedule import HeadExporter
from faceless.runtime.container import Runtime, build_runtime
from faceless.settings import Settings, load_settings
from faceless.worker.celery_config import QUEUE, create_celery_app
from faceless.worker.runner import run_job

logger = logging.getLogger("faceless.worker.celery")


class _WorkerRuntime:
    def __init__(self, settings: Settings) -> None:
        self.pid = os.getpid()
        self._settings = settings
        self._runner = asyncio.Runner()
        self._runtime: Runtime | None = None
        self._audit_exporter: HeadExporter | None = None

    def run(self, job_id: uuid.UUID) -> None:
        self._runner.run(self._run(job_id))

    async def _run(self, job_id: uuid.UUID) -> None:
        if self._runtime is None:
            self._runtime = build_runtime(self._settings)
            self._audit_exporter = HeadExporter.for_runtime(self._runtime)
        await run_job(self._runtime, job_id)
        # No loop runs between tasks, so no background exporter: check after each job.
        if self._audit_exporter is not None:
            await self._audit_exporter.export_if_due()

    def close(self) -> None:
        try:
            if self._runtime is not None:
                self._runner.run(self._runtime.close())
        finally:
            self._runtime = None
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


def _run_job(settings: Settings, job_id: uuid.UUID) -> None:
    _runtime(settings).run(job_id)


def _create_app(settings: Settings) -> Celery:
    return create_celery_app(settings, run_job=functools.partial(_run_job, settings))


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
            _app = _create_app(load_settings())
        return _app


def __getattr__(name: str) -> Celery:
    # ``celery -A faceless.runtime.celery_worker:celery_app``, without building at import.
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
    app = _create_app(settings)
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
