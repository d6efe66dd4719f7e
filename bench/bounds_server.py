"""One API process for ``request_bounds_bench.py``: the app over plain HTTP with one of
three HTTP protocols, everything else as ``faceless serve --behind-proxy``:

- ``bounded``: faceless's BoundedHttp (what serve runs);
- ``httptools``: uvicorn's own httptools protocol, no bounds;
- ``h11``: uvicorn's h11 protocol with ``h11_max_incomplete_event_size`` at 16 KiB, the
  head-size bound uvicorn offers out of the box.

    .venv/bin/python bench/bounds_server.py --port 8000 [--protocol bounded|httptools|h11]
"""

from __future__ import annotations

import argparse
import asyncio
from typing import cast

import uvicorn

from faceless.runtime.first_run import prepare
from faceless.runtime.listeners import bounded_http
from faceless.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--protocol", choices=["bounded", "httptools", "h11"], default="bounded")
    args = parser.parse_args()
    settings = load_settings()
    prepare(settings)
    http: str | type[asyncio.Protocol] = args.protocol
    if args.protocol == "bounded":
        http = cast("type[asyncio.Protocol]", bounded_http(settings))
    print("listening", flush=True)
    uvicorn.run(
        "faceless.main:app_from_env",
        factory=True,
        host="127.0.0.1",
        port=args.port,
        http=http,
        h11_max_incomplete_event_size=settings.http.max_header_bytes,
        ws="none",
        server_header=False,
        proxy_headers=False,
        access_log=False,
        log_config=None,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
