"""The API process: what ``faceless serve`` becomes once the command has checked.

``faceless serve`` checks its options, the TLS files and the secrets, and binds the
redirect port. Then it replaces its own image (``os.execv``: same pid, same environment)
with ``python -OO -X no_debug_ranges -P -m faceless.runtime.api_process OPTIONS``, which
runs the first-run set-up (:mod:`faceless.runtime.first_run`) and serves until it is
stopped (ADR 0033). Why a new image rather than serving from the command's (issue 11:
whatever a process imports stays resident for its life):

- the API needs neither Typer (with its own copy of click, about 1.2 MB) nor what the
  command imported only to check;
- ``-OO`` leaves docstrings and asserts out of the bytecode: about 6 MB of the libraries'
  docstrings (SQLAlchemy's above all). Nothing the API serves comes from a docstring: the
  OpenAPI texts are explicit (``tests/api/test_openapi_optimized.py`` compares the
  documents), and our asserts only restate what the type checker proves;
- ``-X no_debug_ranges`` leaves out the column tables behind a traceback's ``^^^``
  markers (0.7 MB); tracebacks keep their line numbers.

``make install`` and the image precompile the ``.opt-2.pyc`` files this loads; without
them it compiles at every start. ``-P`` keeps the working directory off ``sys.path``.

Across the exec: SIGHUP, SIGTERM and SIGINT are blocked by the command before it and
unblocked here once their handlers are in place, so one that arrives in between waits
instead of ending the server with the default action. The redirect listener's socket
is inherited by its descriptor number. Exit handlers do not survive an exec, so the
command removes its metrics directory first and this process makes its own.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from typing import NoReturn

from faceless.metrics.process_dir import release_private_directory
from faceless.runtime.memory import refuse_pydantic_v1
from faceless.runtime.process import prepare_process
from faceless.runtime.serve_options import ServeOptions

INTERPRETER_FLAGS = ("-OO", "-X", "no_debug_ranges")
# What runs after the flags. Wrappers that patch the app for a test or a benchmark point
# this at themselves and call main() there; nothing in the product changes it.
API_PROCESS: list[str] = ["-P", "-m", "faceless.runtime.api_process"]
SIGNALS_HELD = frozenset({signal.SIGHUP, signal.SIGTERM, signal.SIGINT})


def exec_api_process(options: ServeOptions) -> NoReturn:
    """Replace this process with the API process (called by ``faceless serve``)."""
    sys.stdout.flush()
    sys.stderr.flush()
    if options.redirect_fd is not None:
        os.set_inheritable(options.redirect_fd, True)
    release_private_directory()
    signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS_HELD)
    argv = [sys.executable, *INTERPRETER_FLAGS, *API_PROCESS, options.to_json()]
    try:
        os.execv(sys.executable, argv)  # noqa: S606 - our own interpreter, a fixed argv
    except OSError as exc:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS_HELD)
        raise SystemExit(f"error: the API process did not start: {exc}") from None


def main(argv: Sequence[str]) -> None:
    options = ServeOptions.from_json(argv[0])
    prepare_process()
    refuse_pydantic_v1()
    # Imported here, not above: `faceless serve` imports this module only to exec it.
    from faceless.secrets.reload import defer_sighup

    # A SIGHUP (`faceless secrets reload`) is remembered until the app can reload.
    defer_sighup()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, SIGNALS_HELD)
    # Imported only now: prometheus-client must see this process's metrics directory.
    from faceless.runtime.api_server import serve

    serve(options)


if __name__ == "__main__":
    main(sys.argv[1:])
