"""``faceless worker`` (a Celery worker) and ``faceless scheduler`` (due-schedule publisher)."""

from __future__ import annotations

from typing import Annotated

import typer

from faceless.cli.preflight import require_valid_secrets
from faceless.logging import configure_logging
from faceless.metrics.listener import MetricsListener
from faceless.secrets.loading import load_secrets
from faceless.settings import Settings, load_settings


def worker(
    concurrency: Annotated[int, typer.Option(min=1, help="Parallel jobs in this worker")] = 1,
    metrics_port: Annotated[
        int,
        typer.Option(min=0, max=65535, help="Serve this worker's /metrics here; 0: off"),
    ] = 0,
    metrics_host: Annotated[str, typer.Option(help="Interface for --metrics-port")] = "127.0.0.1",
) -> None:
    """Run a Celery worker (needs REDIS_URL)."""
    from faceless.runtime.celery_worker import run_worker

    configure_logging()
    settings = require_valid_secrets(load_settings())
    if not settings.redis.url:
        raise typer.BadParameter("REDIS_URL is not set; the embedded default needs no worker")
    listener = _metrics_listener(settings, metrics_host, metrics_port) if metrics_port else None
    try:
        run_worker(settings, concurrency=concurrency)
    finally:
        if listener is not None:
            listener.close()


def _metrics_listener(settings: Settings, host: str, port: int) -> MetricsListener:
    """The pool's summed metrics, for Prometheus (same access rule as the API's /metrics)."""
    _settings, manager, _events = load_secrets(settings)

    def token() -> str | None:
        secret = manager.get("METRICS_TOKEN")
        return secret.reveal() if secret is not None else None

    try:
        listener = MetricsListener(host, port, allow=settings.http.metrics_allow, token=token)
    except OSError as exc:
        typer.echo(f"error: cannot serve metrics on {host}:{port} ({exc.strerror})", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"Metrics on http://{host}:{listener.port}/metrics")
    return listener.start()


def scheduler() -> None:
    """Publish due schedules (safe to run several: each schedule is claimed once)."""
    from faceless.runtime.scheduler_process import run_scheduler_forever

    configure_logging()
    run_scheduler_forever(require_valid_secrets(load_settings()))
