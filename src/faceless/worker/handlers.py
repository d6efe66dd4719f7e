"""What a job handler is, what it is given, and the registry the runtime builds.

A body does the work and returns the result text; it writes no final state. The
runner records the outcome with a conditional UPDATE and, only if that won, calls
the matching hook *in the same transaction* (so, for example, a publish job and
its schedule become ``succeeded``/``published`` together), then ``cleanup`` after
the commit.

The worker core never imports the features whose jobs it runs: the runtime builds a
:class:`JobRegistry` from them and hands it in (``JobContext.jobs``), so the queue,
runner, sweep and scheduler loop depend on these types alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.models import JobKind
from faceless.publishing.base import Publisher
from faceless.settings import Settings
from faceless.worker.cancellation import JobMonitor
from faceless.worker.queue import JobQueue
from faceless.worker.repository import ClaimedJob


class JobContext(Protocol):
    """What job code needs from the process it runs in; the runtime container has it all."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def publisher(self) -> Publisher: ...

    @property
    def queue(self) -> JobQueue: ...

    @property
    def jobs(self) -> JobRegistry: ...


Body = Callable[[JobContext, ClaimedJob, JobMonitor], Awaitable[str | None]]
Hook = Callable[[AsyncSession, ClaimedJob], Awaitable[None]]
Cleanup = Callable[[Settings, ClaimedJob], None]
# Periodic work for the scheduler loop; returns how many items it handled.
Periodic = Callable[[JobContext], Awaitable[int]]
# Settles, in the sweep's transaction, what depends on jobs of one kind; returns a count.
Settle = Callable[[AsyncSession], Awaitable[int]]


async def _no_hook(_session: AsyncSession, _job: ClaimedJob) -> None:
    return None


def _no_cleanup(_settings: Settings, _job: ClaimedJob) -> None:
    return None


async def _nothing_to_settle(_session: AsyncSession) -> int:
    return 0


@dataclass(frozen=True, slots=True)
class JobHandler:
    run: Body
    on_succeeded: Hook = _no_hook
    on_failed: Hook = _no_hook
    on_cancelled: Hook = _no_hook
    # After a terminal outcome has committed (never after a release or a lost job).
    cleanup: Cleanup = _no_cleanup
    # Run by every sweep: e.g. a publish job cancelled before it ran cancels its schedule.
    settle: Settle = _nothing_to_settle


@dataclass(frozen=True, slots=True)
class JobRegistry:
    """The handler of each job kind, and the periodic work of the scheduler loop."""

    handlers: Mapping[JobKind, JobHandler]
    periodic: Sequence[Periodic] = field(default=())

    def handler_for(self, kind: JobKind) -> JobHandler:
        try:
            return self.handlers[kind]
        except KeyError:
            raise ValueError(f"no handler for job kind {kind!r}") from None
