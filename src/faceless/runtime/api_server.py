"""The API process's work: first-run set-up, then the app under uvicorn and the redirect
listener if any (:mod:`faceless.runtime.listeners`).

Started by :mod:`faceless.runtime.api_process` once the process is set up.
"""

from __future__ import annotations

import socket
import sys
from typing import TYPE_CHECKING

import uvicorn

from faceless.logging import configure_logging
from faceless.runtime.first_run import prepare
from faceless.runtime.listeners import RedirectListener, bounded_http, origin, protocol
from faceless.secrets.reload import pid_file, remove_pid_file, write_pid_file
from faceless.security.http_bounds import BoundedHttp
from faceless.security.tls import TlsError
from faceless.settings import Settings, load_settings

if TYPE_CHECKING:
    from faceless.runtime.serve_options import ServeOptions
    from faceless.security.tls.context import ServerContextFactory


def serve(options: ServeOptions) -> None:
    """Serve until stopped: first-run set-up, the redirect listener if any, the pid file,
    then uvicorn."""
    settings = load_settings()
    configure_logging()
    prepare(settings)
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


def _tls_factory(settings: Settings) -> ServerContextFactory:
    # X.509 and our context (about 2 MB): --behind-proxy, the production shape, needs neither.
    from faceless.security.tls.context import ServerContextFactory

    return ServerContextFactory(settings.tls_cert_file, settings.tls_key_file)


def _run_api(options: ServeOptions, *, tls: ServerContextFactory | None, http: BoundedHttp) -> None:
    uvicorn.run(
        "faceless.main:app_from_env",
        factory=True,
        host=options.host,
        port=options.port,
        workers=options.workers,
        http=protocol(http),
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
