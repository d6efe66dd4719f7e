"""What every ``faceless`` process tree needs before the commands or the app are imported.

Nothing above the call may import prometheus-client (see
:mod:`faceless.metrics.process_dir`), so callers import their commands or the app after it:
the console script (:mod:`faceless.cli.entry`) and the API process that ``faceless serve``
becomes (:mod:`faceless.runtime.api_process`).

SIGTERM becomes an ordinary exit (status 143) so that exit handlers run, the metrics
directory's removal among them. A command that handles SIGTERM itself (uvicorn, Celery,
the scheduler) still does; uvicorn restores this handler and raises the signal again
once it has shut down, which lands here.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType

from faceless.metrics.process_dir import use_private_directory
from faceless.runtime.memory import return_large_blocks

SIGTERM_STATUS = 128 + signal.SIGTERM


def _exit(_signum: int, _frame: FrameType | None) -> None:
    sys.exit(SIGTERM_STATUS)


def prepare_process() -> None:
    """SIGTERM as an exit, this tree's metrics directory, large blocks unmapped when freed."""
    signal.signal(signal.SIGTERM, _exit)
    use_private_directory()
    return_large_blocks()
