"""``faceless scheduler``: the production scheduler process around the worker core's loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from faceless.db.audit.head_export_schedule import HeadExporter
from faceless.runtime.container import build_runtime
from faceless.settings import Settings
from faceless.worker.scheduler import run_scheduler

logger = logging.getLogger("faceless.worker.scheduler")


def run_scheduler_forever(settings: Settings) -> None:
    """Block until SIGTERM or SIGINT.

    Production only: it sends jobs to Celery workers. The embedded default (no
    REDIS_URL) runs its scheduler inside the API process instead.
    """
    if not settings.redis.url:
        raise SystemExit(
            "faceless scheduler needs REDIS_URL (jobs go to Celery workers); "
            "without it, `faceless serve` runs the scheduler in-process."
        )
    asyncio.run(_scheduler_main(settings))


async def _scheduler_main(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    runtime = build_runtime(settings)
    audit_exporter = HeadExporter.for_runtime(runtime)
    try:
        await runtime.queue.start()
        audit_exporter.start()
        logger.info("scheduler started (every %.1f s)", settings.worker.scheduler_interval_seconds)
        await run_scheduler(runtime, stop=stop, interval=settings.worker.scheduler_interval_seconds)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(Exception):
                loop.remove_signal_handler(signum)
        await audit_exporter.close()
        await runtime.close()
        logger.info("scheduler stopped")
