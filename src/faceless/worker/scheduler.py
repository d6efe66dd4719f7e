"""The scheduler loop: the registry's periodic work and the sweep, every few seconds.

What runs each round comes from the runtime (``JobContext.jobs.periodic``: publishing
due schedules), so this loop knows no feature. Several schedulers may run at once:
each piece of periodic work claims what it handles atomically in the database.
"""

from __future__ import annotations

import logging
from typing import Protocol

import anyio

from faceless.worker.handlers import JobContext
from faceless.worker.sweep import sweep_stale_jobs

logger = logging.getLogger(__name__)


class StopEvent(Protocol):
    def is_set(self) -> bool: ...

    async def wait(self) -> object: ...


async def run_round(ctx: JobContext) -> None:
    """One round: the periodic work in order, then the sweep."""
    for periodic in ctx.jobs.periodic:
        await periodic(ctx)
    await sweep_stale_jobs(ctx)


async def run_scheduler(ctx: JobContext, *, stop: StopEvent, interval: float) -> None:
    """Run a round every ``interval`` s until ``stop`` is set.

    A due schedule is picked up within ``interval`` seconds of its time (the API
    promises 60; the default is 5). A failing round is logged and retried.
    """
    while not stop.is_set():
        try:
            await run_round(ctx)
        except Exception:
            logger.exception("scheduler round failed")
        with anyio.move_on_after(interval):
            await stop.wait()
