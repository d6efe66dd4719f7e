"""``faceless worker`` (a Celery worker) and ``faceless scheduler`` (due-schedule publisher)."""

from __future__ import annotations

from typing import Annotated

import typer

from faceless.cli.preflight import require_valid_secrets
from faceless.logging import configure_logging
from faceless.settings import load_settings


def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Parallel jobs in this worker")] = 1,
) -> None:
    """Run a Celery worker (needs REDIS_URL)."""
    from faceless.runtime.celery_worker import run_worker

    configure_logging()
    settings = require_valid_secrets(load_settings())
    if not settings.redis.url:
        raise typer.BadParameter("REDIS_URL is not set; the embedded default needs no worker")
    run_worker(settings, concurrency=concurrency)


def scheduler() -> None:
    """Publish due schedules (safe to run several: each schedule is claimed once)."""
    from faceless.runtime.scheduler_process import run_scheduler_forever

    configure_logging()
    run_scheduler_forever(require_valid_secrets(load_settings()))
