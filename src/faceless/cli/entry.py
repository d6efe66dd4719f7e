"""The ``faceless`` console script: the process tree's set-up, then the commands.

Nothing above the call may import prometheus-client (see
:mod:`faceless.runtime.process`), so the commands are imported after it.
"""

from __future__ import annotations

from faceless.runtime.process import prepare_process


def main() -> None:
    prepare_process()
    from faceless.cli.main import app

    app()
