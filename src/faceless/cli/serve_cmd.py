"""``faceless serve``: the API over HTTPS, a plain-HTTP redirect listener, first-run set-up.

Two shapes:

- default: HTTPS on ``--port`` with our own ``SSLContext`` (Mozilla intermediate, see
  :mod:`faceless.security.tls.context`), and on ``--redirect-port`` (0 turns it off) a
  plain-HTTP listener that redirects every request to ``PUBLIC_URL``. In development,
  certificates are generated under ``var/tls/`` on first run (and renewed when close to
  expiry); in staging and production they must be configured.
- ``--behind-proxy``: plain HTTP on ``--port`` for a TLS-terminating proxy (nginx) whose
  address is in ``TRUSTED_PROXIES``; the proxy owns port 80 and its redirect.

This command checks: options, certificates (the context is built once here, so a bad
certificate stops the boot with a message instead of N crashing workers), the secrets and
the redirect port (bound here: a busy port is a clear error before anything starts). Then
it replaces its own image with the API process (:mod:`faceless.runtime.api_process`, ADR
0033), which runs the first-run set-up (the embedded default's migrations, the first
admin) and serves. The context reaches uvicorn through its ``ssl_context_factory``
option, which ``Config.load()`` calls where the server runs, so with ``--workers N``
every spawned worker builds its own context from the files.

``--workers N`` with N > 1 needs ``REDIS_URL``: rate limits and lockout windows kept in
each process's memory would give every client N times its budget.
"""

from __future__ import annotations

import socket
from typing import Annotated
from urllib.parse import urlsplit

import typer

from faceless.cli.preflight import require_valid_secrets
from faceless.fileio import private_dirs
from faceless.logging import configure_logging
from faceless.runtime.api_process import exec_api_process
from faceless.runtime.listeners import bounded_http, redirect_app
from faceless.runtime.serve_options import ServeOptions
from faceless.security.tls import TlsError
from faceless.security.tls.certs import CertificateInfo, CertPaths, ensure_dev_certificates
from faceless.security.tls.context import build_server_context
from faceless.settings import Settings, load_settings

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def prepare_tls(settings: Settings) -> None:
    """Certificates in place (generated in development), the context validated once."""
    configured = settings.tls.cert_file is not None or settings.tls.key_file is not None
    if settings.is_development and not configured:
        private_dirs(settings.paths.var_dir)
        host = urlsplit(settings.http.public_url).hostname or "localhost"
        names = [] if host in _LOOPBACK_NAMES else [host]
        done = ensure_dev_certificates(CertPaths(settings.tls_dir), names=names)
        if done:
            typer.echo(f"TLS: {done} in {settings.tls_dir}")
    elif not settings.is_development and not (settings.tls.cert_file and settings.tls.key_file):
        raise TlsError(
            f"FACELESS_ENV={settings.env.value} never uses generated certificates: set "
            "TLS_CERT_FILE (leaf + intermediates, PEM) and TLS_KEY_FILE, or terminate TLS in "
            "a proxy and run `faceless serve --behind-proxy`"
        )
    cert, key = settings.tls_cert_file, settings.tls_key_file
    build_server_context(cert, key)
    info = CertificateInfo.of(cert)
    typer.echo(f"TLS certificate {cert}: {info.key}, SHA-256 {info.sha256}")
    if info.days_left < 30:
        typer.echo(f"warning: the certificate expires in {info.days_left} days", err=True)


def _check_public_url(settings: Settings, port: int) -> None:
    """A local PUBLIC_URL on another port sends redirected clients nowhere: say so."""
    url = urlsplit(settings.http.public_url)
    if url.hostname in _LOOPBACK_NAMES and (url.port or 443) != port:
        typer.echo(
            f"warning: PUBLIC_URL is {settings.http.public_url} but HTTPS is on port {port}; "
            f"redirects go to PUBLIC_URL (set PUBLIC_URL=https://localhost:{port})",
            err=True,
        )


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=1024)
    except OSError as exc:
        raise TlsError(
            f"the redirect listener cannot listen on {host}:{port} ({exc.strerror}); "
            "choose another --redirect-port, or 0 to turn it off"
        ) from None


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="HTTPS port (plain HTTP with --behind-proxy)")] = 8443,
    redirect_port: Annotated[
        int, typer.Option(min=0, max=65535, help="Plain-HTTP redirect port; 0 turns it off")
    ] = 8080,
    behind_proxy: Annotated[
        bool,
        typer.Option(
            "--behind-proxy",
            help="Plain HTTP on --port for a TLS-terminating proxy in TRUSTED_PROXIES",
        ),
    ] = False,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Run the API: HTTPS plus an HTTP→HTTPS redirect, or plain HTTP behind a proxy."""
    settings = load_settings()
    configure_logging()
    if workers > 1 and not settings.redis.url:
        typer.echo(
            f"error: --workers {workers} needs REDIS_URL: without it every process keeps its "
            f"own rate limits and lockout counts, so each client would get {workers} times its "
            "budget; set REDIS_URL or run one worker",
            err=True,
        )
        raise typer.Exit(2)
    _check_connection_bounds(settings)
    tls, redirect = _listeners(settings, host, port, redirect_port, behind_proxy=behind_proxy)
    require_valid_secrets(settings)
    if tls:
        ca = settings.tls_ca_file
        if ca.exists():
            typer.echo(
                f"Trust this CA to verify the server: {ca} "
                f"(e.g. curl --cacert {ca} {settings.http.public_url}/health)"
            )
    redirect_fd = None if redirect is None else redirect.fileno()
    exec_api_process(ServeOptions(host, port, workers, tls=tls, redirect_fd=redirect_fd))


def _check_connection_bounds(settings: Settings) -> None:
    try:
        bounded_http(settings, warn=lambda message: typer.echo(message, err=True))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _listeners(
    settings: Settings, host: str, port: int, redirect_port: int, *, behind_proxy: bool
) -> tuple[bool, socket.socket | None]:
    """Whether to serve HTTPS, and the redirect listener's bound socket; exit 2 if unusable."""
    try:
        if behind_proxy:
            if not settings.http.trusted_proxies:
                typer.echo(
                    "warning: --behind-proxy without TRUSTED_PROXIES: X-Forwarded-Proto and "
                    "X-Forwarded-For are ignored, so no HSTS and every client is the proxy",
                    err=True,
                )
            return False, None
        prepare_tls(settings)
        if not redirect_port:
            return True, None
        redirect_app(settings)  # built once here, so a bad PUBLIC_URL stops the boot
        redirect = _bind(host, redirect_port)
        _check_public_url(settings, port)
    except (TlsError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return True, redirect
