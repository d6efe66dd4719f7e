"""Run the ``faceless`` CLI with the request metrics on, or bypassed: for the bench only.

    python bench/metrics_bootstrap.py {on|bypassed} serve --behind-proxy --port N

Both variants run the console script's ``faceless``. ``serve`` becomes the API process
(``exec``, ADR 0033) by running this script again with ``--api-process``; there
``bypassed`` replaces the request counter's ``note`` by one that counts nothing, in the
app factory, before the app is imported (the process has its metrics directory by then,
so multiprocess mode, the production shape). Nothing in ``src/`` knows about it: there
is no production switch.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import faceless.main
from faceless.runtime import api_process

API_PROCESS_ARG = "--api-process"


def bypass_request_metrics() -> None:
    from faceless.security.middleware import request_metrics

    def count_nothing(self: Any, scope: Any, status: int, seconds: float) -> None:
        return None

    request_metrics.RequestCounter.note = count_nothing  # type: ignore[method-assign]


def main() -> None:
    variant = sys.argv[1] if len(sys.argv) > 1 else ""
    if variant not in ("on", "bypassed"):
        raise SystemExit(f"usage: {sys.argv[0]} {{on|bypassed}} <faceless arguments>")
    if sys.argv[2:3] == [API_PROCESS_ARG]:
        if variant == "bypassed":
            counting = faceless.main.app_from_env
            faceless.main.app_from_env = _bypassed(counting)  # type: ignore[assignment]
        api_process.main(sys.argv[3:])
        return
    api_process.API_PROCESS[:] = [__file__, variant, API_PROCESS_ARG]
    from faceless.cli.entry import main as run_faceless

    sys.argv = ["faceless", *sys.argv[2:]]
    run_faceless()


def _bypassed(app_from_env: Callable[[], Any]) -> Callable[[], Any]:
    def bypassed_app_from_env() -> Any:
        bypass_request_metrics()  # imports prometheus-client: only now, in the factory
        return app_from_env()

    return bypassed_app_from_env


if __name__ == "__main__":
    main()
