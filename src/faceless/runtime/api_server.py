"""The API process's listeners: the app under uvicorn, and the redirect listener if any.

Started by :mod:`faceless.runtime.api_process` once the process is set up. Every
listener speaks HTTP through :class:`~faceless.security.http_bounds.BoundedHttp`
(ADR 0012); one instance serves the listeners of a process, so they share its
connection count, and each ``--workers`` process gets its own.

The redirect listener is a second ``uvicorn.Server``, on the socket ``faceless serve``
bound (a busy port is a clear error before anything starts), run in a daemon thread with
its own event loop in the process that calls ``uvicorn.run``: this one with one worker,
the supervisor with several, so N workers share one redirect listener.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

import uvicorn

from faceless.logging import configure_logging
from faceless.secrets.reload import pid_file, remove_pid_file, write_pid_file
from faceless.security.headers import build_header_policy
from faceless.security.http_bounds import FD_RESERVE, BoundedHttp, RequestBounds, open_file_limit
from faceless.security.tls import TlsError
from faceless.settings import Settings, load_settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp

    from faceless.runtime.serve_options import ServeOptions
    from faceless.security.tls.context import ServerContextFactory


def serve(options: ServeOptions) -> None:
    """Serve until stopped: the redirect listener if any, the pid file, then uvicorn."""
    settings = load_settings()
    configure_logging()
    http = bounded_http(settings)
    redirect = None
    if options.redirect_fd is not None:
        redirect = RedirectListener(settings, socket.socket(fileno=options.redirect_fd), http=http)
    pid_path = pid_file(settings.paths.var_dir)
    try:
        if redirect is not None:
            try:
                redirect.start()
            except TlsError as exc:
                print(f"error: {exc}", file=sys.stderr, flush=True)
                raise SystemExit(2) from None
            listen = origin("http", options.host, redirect.port)
            print(f"Redirecting {listen} to {settings.http.public_url}", flush=True)
        write_pid_file(pid_path)
        scheme = "https" if options.tls else "http"
        listen = origin(scheme, options.host, options.port)
        print(f"Serving {scheme.upper()} on {listen}", flush=True)
        _run_api(options, tls=_tls_factory(settings) if options.tls else None, http=http)
    finally:
        remove_pid_file(pid_path)
        if redirect is not None:
            redirect.stop()


def origin(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _tls_factory(settings: Settings) -> ServerContextFactory:
    # X.509 and our context (about 2 MB): --behind-proxy, the production shape, needs neither.
    from faceless.security.tls.context import ServerContextFactory

    return ServerContextFactory(settings.tls_cert_file, settings.tls_key_file)


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


def _protocol(http: BoundedHttp) -> type[asyncio.Protocol]:
    # uvicorn calls `http` with keyword arguments per connection (Config.load keeps a
    # non-string as is); its annotation only names classes.
    return cast("type[asyncio.Protocol]", http)


class RedirectListener:
    """The plain-HTTP redirect server, in a daemon thread with its own event loop."""

    def __init__(self, settings: Settings, bound: socket.socket, *, http: BoundedHttp) -> None:
        config = uvicorn.Config(
            redirect_app(settings),
            lifespan="off",
            http=_protocol(http),
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


def _run_api(options: ServeOptions, *, tls: ServerContextFactory | None, http: BoundedHttp) -> None:
    uvicorn.run(
        "faceless.main:app_from_env",
        factory=True,
        host=options.host,
        port=options.port,
        workers=options.workers,
        http=_protocol(http),
        ws="none",
        # A spawned worker answers the supervisor's health pings only once it has
        # imported the whole app; on a busy machine that takes longer than uvicorn's
        # 5 s default, and the supervisor would kill and respawn it forever.
        timeout_worker_healthcheck=30,
        ssl_context_factory=tls,
        server_header=False,
        # Client IP and scheme come from faceless.security.proxy, trusted proxies only.
        proxy_headers=False,
        access_log=False,
        log_config=None,
        lifespan="on",
    )
