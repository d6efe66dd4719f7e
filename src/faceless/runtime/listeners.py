"""The API process's listeners: the HTTP protocol they share, and the redirect listener.

Every listener speaks HTTP through :class:`~faceless.security.http_bounds.BoundedHttp`
(ADR 0012); one instance serves the listeners of a process, so they share its
connection count, and each ``--workers`` process gets its own.

The redirect listener is a second ``uvicorn.Server``, on the socket ``faceless serve``
bound (a busy port is a clear error before anything starts), run in a daemon thread with
its own event loop in the process that calls ``uvicorn.run``: the API process with one
worker, the supervisor with several, so N workers share one redirect listener. uvicorn
keeps the signal handling of the main thread; the redirect thread is a daemon and ends
with it. Upgrades are off (``ws="none"``): no route speaks WebSocket, and every
connection stays with the bounded protocol for its whole life.

``faceless serve`` imports this module for its checks, so it imports nothing heavy: the
command replaces its image right after them.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import uvicorn

from faceless.security.headers import build_header_policy
from faceless.security.http_bounds import FD_RESERVE, BoundedHttp, RequestBounds, open_file_limit
from faceless.security.tls import TlsError
from faceless.settings import Settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp


def origin(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def bounded_http(settings: Settings, *, warn: Callable[[str], None] | None = None) -> BoundedHttp:
    """The listeners' protocol factory; the open-file limit is raised as far as needed."""
    wanted = settings.http.max_connections
    bounds = RequestBounds.from_settings(
        settings.http, open_files=open_file_limit(wanted + FD_RESERVE)
    )
    if bounds.max_connections < wanted and warn is not None:
        warn(
            f"warning: MAX_CONNECTIONS={wanted} is above what the open-file limit allows; "
            f"serving at most {bounds.max_connections} connections per process"
        )
    return BoundedHttp(bounds)


def protocol(http: BoundedHttp) -> type[asyncio.Protocol]:
    # uvicorn calls `http` with keyword arguments per connection (Config.load keeps a
    # non-string as is); its annotation only names classes.
    return cast("type[asyncio.Protocol]", http)


class RedirectListener:
    """The plain-HTTP redirect server, in a daemon thread with its own event loop."""

    def __init__(self, settings: Settings, bound: socket.socket, *, http: BoundedHttp) -> None:
        config = uvicorn.Config(
            redirect_app(settings),
            lifespan="off",
            http=protocol(http),
            ws="none",  # an upgrade request is redirected like any other
            server_header=False,
            proxy_headers=False,
            access_log=False,
            log_config=None,
        )
        self.socket = bound
        self.port: int = bound.getsockname()[1]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run,
            kwargs={"sockets": [self.socket]},
            name="redirect-listener",
            daemon=True,
        )

    def start(self, timeout: float = 10.0) -> None:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise TlsError("the redirect listener did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)
        self.socket.close()


def redirect_app(settings: Settings) -> ASGIApp:
    """The redirect listener's app; ValueError when PUBLIC_URL cannot be its target."""
    # Imported here: --behind-proxy, the production shape, has no redirect listener.
    from faceless.security.redirect import build_redirect_app

    security = settings.security
    return build_redirect_app(
        public_url=settings.http.public_url,
        policy=build_header_policy(
            hsts_max_age=security.hsts_max_age,
            hsts_preload=security.hsts_preload,
            legacy_xss_filter=security.legacy_xss_filter,
        ),
    )
