"""Run the ``faceless`` CLI with the request metrics on, or bypassed: for the bench only.

    python bench/metrics_bootstrap.py {on|bypassed} serve --behind-proxy --port N

Both variants first prepare the process as the console script does (its metrics
directory, so multiprocess mode, the production shape; SIGTERM as a clean exit).
``bypassed`` then replaces the request counter's ``note`` by one that counts nothing
before ``faceless.cli.main`` is imported; nothing in ``src/`` knows about it: there is
no production switch.
"""

from __future__ import annotations

import sys
from typing import Any

from faceless.cli.entry import prepare_process


def bypass_request_metrics() -> None:
    from faceless.security.middleware import request_metrics

    def count_nothing(self: Any, scope: Any, status: int, seconds: float) -> None:
        return None

    request_metrics.RequestCounter.note = count_nothing  # type: ignore[method-assign]


def main() -> None:
    variant = sys.argv[1] if len(sys.argv) > 1 else ""
    if variant not in ("on", "bypassed"):
        raise SystemExit(f"usage: {sys.argv[0]} {{on|bypassed}} <faceless arguments>")
    prepare_process()
    if variant == "bypassed":
        bypass_request_metrics()
    from faceless.cli.main import app

    sys.argv = ["faceless", *sys.argv[2:]]
    app(prog_name="faceless")


if __name__ == "__main__":
    main()
