"""The per-kind job bodies and their hooks, looked up by the runner and the sweep.

A body does the work and returns the result text; it writes no final state. The
runner records the outcome with a conditional UPDATE and, only if that won, calls
the matching hook *in the same transaction* (so, for example, a publish job and
its schedule become ``succeeded``/``published`` together), then ``cleanup`` after
the commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.models import JobKind
from faceless.settings import Settings
from faceless.worker.cancellation import JobMonitor
from faceless.worker.repository import ClaimedJob

if TYPE_CHECKING:
    from faceless.services import Services

Body = Callable[["Services", ClaimedJob, JobMonitor], Awaitable[str | None]]
Hook = Callable[[AsyncSession, ClaimedJob], Awaitable[None]]
Cleanup = Callable[[Settings, ClaimedJob], None]


async def _no_hook(_session: AsyncSession, _job: ClaimedJob) -> None:
    return None


def _no_cleanup(_settings: Settings, _job: ClaimedJob) -> None:
    return None


@dataclass(frozen=True, slots=True)
class JobHandler:
    run: Body
    on_succeeded: Hook = _no_hook
    on_failed: Hook = _no_hook
    on_cancelled: Hook = _no_hook
    # After a terminal outcome has committed (never after a release or a lost job).
    cleanup: Cleanup = _no_cleanup


def handler_for(kind: JobKind) -> JobHandler:
    # Imported here: the bodies import the worker package, and the API imports this
    # package (through services) without needing the engines loaded.
    if kind == JobKind.TRANSCRIBE:
        from faceless.transcribe import tasks as transcribe_tasks

        return transcribe_tasks.HANDLER
    if kind == JobKind.PUBLISH:
        from faceless.publishing import tasks as publish_tasks

        return publish_tasks.HANDLER
    raise ValueError(f"no handler for job kind {kind!r}")
