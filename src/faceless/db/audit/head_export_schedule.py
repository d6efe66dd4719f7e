"""When to export the chain head: every ``export_seconds``, and after ``export_events`` appends.

The sequencer hands the number of events it chained to every exporter of this process
(:func:`note_chained`, no I/O), once its transaction has committed: events of a request
that rolled back never reach the chain and wake nobody. The exporter then reads the
committed head in its own short read and writes the export off the request path.

Long-running processes:

* API processes (and the embedded worker inside them) run :meth:`HeadExporter.start` from
  the lifespan: a background task on the server's loop.
* ``faceless scheduler`` does the same around its loop.
* Celery workers have no loop running between tasks, so they call
  :meth:`HeadExporter.export_if_due` after each job instead.

Any exporter exports the database's head, appends of other processes included, so one
periodic exporter anywhere keeps the export at most ``export_seconds`` behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import weakref
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.db.audit.head_export import ExportResult, HeadSigner, export_head
from faceless.logging import get_logger

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from faceless.crypto.keys import Keyring
    from faceless.db.encryption import DataProtection
    from faceless.settings import Settings


class ExportSource(Protocol):
    """What an exporter reads from the process it runs in (the runtime container)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def read_sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def data_protection(self) -> DataProtection: ...


CLOSE_GRACE_SECONDS = 10.0
_exporters: weakref.WeakSet[HeadExporter] = weakref.WeakSet()

logger = get_logger("faceless.audit")


def note_chained(count: int) -> None:
    """``count`` events were chained and committed (called by the sequencer)."""
    for exporter in list(_exporters):
        exporter.appended(count)


class HeadExporter:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        keyring: Callable[[], Keyring],
        path: Path,
        interval: float,
        every_events: int,
    ) -> None:
        self.path = path
        self.interval = interval
        self.every_events = every_events
        self._sessions = sessions
        self._keyring = keyring
        self._signer: tuple[Keyring, HeadSigner] | None = None
        # A wake-up hint, not an exact count: sequencers on another thread may race the
        # increment, which at worst delays an export to the next period.
        self._pending = 0
        self._last_export = time.monotonic()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        _exporters.add(self)

    @classmethod
    def for_runtime(cls, runtime: ExportSource) -> HeadExporter:
        settings = runtime.settings
        return cls(
            sessions=runtime.read_sessions,
            # Read at each export: ``faceless secrets reload`` may have rotated the keys.
            keyring=lambda: runtime.data_protection.cipher.keyring,
            path=settings.audit_head_file,
            interval=settings.audit.export_seconds,
            every_events=settings.audit.export_events,
        )

    @property
    def pending(self) -> int:
        return self._pending

    def appended(self, count: int) -> None:
        self._pending += count
        loop, wake = self._loop, self._wake
        if self._pending < self.every_events or loop is None or wake is None:
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            wake.set()
            return
        # Runs in the sequencer: never let the exporter fail somebody's audit append.
        with contextlib.suppress(RuntimeError):  # that loop is closed: nothing to wake
            loop.call_soon_threadsafe(wake.set)

    async def export(self, *, force: bool = False) -> ExportResult | None:
        """Export now. Failures are logged, never raised: auditing must not stop the app."""
        self._pending = 0
        self._last_export = time.monotonic()
        try:
            return await export_head(self._sessions, self._current_signer(), self.path, force=force)
        except Exception:
            logger.exception("audit.head_export_failed", path=str(self.path))
            return None

    def _current_signer(self) -> HeadSigner:
        keyring = self._keyring()
        if self._signer is None or self._signer[0] is not keyring:
            self._signer = (keyring, HeadSigner(keyring))
        return self._signer[1]

    async def export_if_due(self) -> ExportResult | None:
        """For processes without a background task: export if a trigger has fired."""
        overdue = time.monotonic() - self._last_export >= self.interval
        if self._pending >= self.every_events or (self._pending and overdue):
            return await self.export()
        return None

    def start(self) -> None:
        """Run the periodic exporter on the running loop until :meth:`close`."""
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="faceless-audit-head-exporter")

    async def close(self) -> None:
        """Stop the background task after one last export, covering the final appends."""
        _exporters.discard(self)
        task, wake, self._task = self._task, self._wake, None
        if task is not None and wake is not None:
            self._stopping = True
            wake.set()
            # Normally the last export finishes at once; a hung database must not hang
            # shutdown for ever, and a cancelled export never releases the lock mid-write.
            done, _ = await asyncio.wait([task], timeout=CLOSE_GRACE_SECONDS)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._loop = self._wake = None

    async def _run(self) -> None:
        assert self._wake is not None
        stopping = False
        while not stopping:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
            self._wake.clear()
            # Read before exporting: a close() during this export sets the event again, so
            # one more export runs, reading a head committed after close() was called.
            stopping = self._stopping
            await self.export()
