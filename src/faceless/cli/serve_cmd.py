"""``faceless serve``: the API over HTTPS, a plain-HTTP redirect listener, first-run set-up.

Two shapes:

- default: HTTPS on ``--port`` with our own ``SSLContext`` (Mozilla intermediate, see
  :mod:`faceless.security.tls.context`), and on ``--redirect-port`` (0 turns it off) a
  plain-HTTP listener that redirects every request to ``PUBLIC_URL``. In development,
  certificates are generated under ``var/tls/`` on first run (and renewed when close to
  expiry); in staging and production they must be configured.
- ``--behind-proxy``: plain HTTP on ``--port`` for a TLS-terminating proxy (nginx) whose
  address is in ``TRUSTED_PROXIES``; the proxy owns port 80 and its redirect.

The context reaches uvicorn through its ``ssl_context_factory`` option, which
``Config.load()`` calls where the server runs, so with ``--workers N`` every spawned
worker builds its own context from the files (the factory is a picklable pair of
paths). It is also built once here first, so a bad certificate stops the boot with a
message instead of N crashing workers.

The redirect listener is a second ``uvicorn.Server`` on a socket bound here (a busy port
is a clear error before anything starts), run in a thread with its own event loop in
the process that calls ``uvicorn.run``: the API's process with one worker, the
supervisor with several, so N workers share one redirect listener. uvicorn keeps the
signal handling of the main thread; the redirect thread is a daemon and ends with it.

Every listener speaks HTTP through :class:`~faceless.security.http_bounds.BoundedHttp`
(uvicorn's httptools protocol with bounds on head size, head time, body pauses and
connections, from the settings; ADR 0012). One instance serves the listeners of a
process, so they share its connection count; each ``--workers`` process gets its own.
Upgrades are off (``ws="none"``): no route speaks WebSocket, and every connection stays
with the bounded protocol for its whole life.

``--workers N`` with N > 1 needs ``REDIS_URL``: rate limits and lockout windows kept in
each process's memory would give every client N times its budget.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING, Annotated, cast
from urllib.parse import urlsplit

import typer
import uvicorn

from faceless.cli.preflight import require_valid_secrets
from faceless.db.engine import is_sqlite
from faceless.db.session import transaction
from faceless.fileio import private_dirs
from faceless.logging import configure_logging
from faceless.runtime.container import command_runtime
from faceless.secrets.reload import defer_sighup, pid_file, remove_pid_file, write_pid_file
from faceless.security.http_bounds import FD_RESERVE, BoundedHttp, RequestBounds, open_file_limit
from faceless.security.passwords import PasswordHashing
from faceless.security.tls import TlsError
from faceless.settings import Settings, load_settings
from faceless.users.service import bootstrap_admin

if TYPE_CHECKING:
    # The TLS and redirect modules (X.509 with cryptography's, about 2 MB) are imported
    # where they are used: `--behind-proxy`, the production shape, needs neither (issue 11).
    from faceless.security.tls.context import ServerContextFactory

_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


async def _first_run(settings: Settings) -> str | None:
    async with command_runtime(settings) as runtime, transaction(runtime.sessions) as session:
        return await bootstrap_admin(session, PasswordHashing(1))


# Alembic, Mako and Pygments (about 12 MB) would stay resident in the API process for
# its whole life after one upgrade at start, so the upgrade runs in a child (issue 11).
_MIGRATE = """
import sys
from faceless.logging import configure_logging
from faceless.db.migrate import upgrade
configure_logging()
upgrade(sys.stdin.read())
"""


def migrate_in_child(url: str) -> None:
    """``faceless.db.migrate.upgrade(url)`` in a child Python; exit 1 if it fails."""
    argv = [sys.executable, "-c", _MIGRATE]
    # The URL goes through stdin, never argv (which other users can read).
    done = subprocess.run(argv, input=url, text=True, check=False)  # noqa: S603 - fixed argv
    if done.returncode != 0:
        typer.echo("error: the database migration failed (see above)", err=True)
        raise typer.Exit(1)


def prepare(settings: Settings) -> None:
    """Embedded default: create var/, migrate SQLite, create the first admin."""
    private_dirs(settings.paths.var_dir)
    if is_sqlite(settings.database_url):
        migrate_in_child(settings.database_url)
    password = asyncio.run(_first_run(settings))
    if password:
        # Straight to stdout, never through logging: it is shown exactly once.
        typer.echo(f"Initial admin password (shown once): {password}")


def prepare_tls(settings: Settings) -> ServerContextFactory:
    """Certificates in place (generated in development), the context validated once."""
    from faceless.security.tls.certs import CertificateInfo, CertPaths, ensure_dev_certificates
    from faceless.security.tls.context import ServerContextFactory, build_server_context

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
    return ServerContextFactory(cert, key)


def _origin(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


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


def bounded_http(settings: Settings) -> BoundedHttp:
    """The listeners' protocol factory; the open-file limit is raised as far as needed."""
    wanted = settings.http.max_connections
    bounds = RequestBounds.from_settings(
        settings.http, open_files=open_file_limit(wanted + FD_RESERVE)
    )
    if bounds.max_connections < wanted:
        typer.echo(
            f"warning: MAX_CONNECTIONS={wanted} is above what the open-file limit allows; "
            f"serving at most {bounds.max_connections} connections per process",
            err=True,
        )
    return BoundedHttp(bounds)


def _protocol(http: BoundedHttp) -> type[asyncio.Protocol]:
    # uvicorn calls `http` with keyword arguments per connection (Config.load keeps a
    # non-string as is); its annotation only names classes.
    return cast("type[asyncio.Protocol]", http)


class RedirectListener:
    """The plain-HTTP redirect server, in a daemon thread with its own event loop."""

    def __init__(self, settings: Settings, host: str, port: int, *, http: BoundedHttp) -> None:
        from faceless.security.headers import build_header_policy
        from faceless.security.redirect import build_redirect_app

        security = settings.security
        app = build_redirect_app(
            public_url=settings.http.public_url,
            policy=build_header_policy(
                hsts_max_age=security.hsts_max_age,
                hsts_preload=security.hsts_preload,
                legacy_xss_filter=security.legacy_xss_filter,
            ),
        )
        config = uvicorn.Config(
            app,
            lifespan="off",
            http=_protocol(http),
            ws="none",  # an upgrade request is redirected like any other
            server_header=False,
            proxy_headers=False,
            access_log=False,
            log_config=None,
        )
        self.socket = _bind(host, port)
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
    http = _bounded_http_or_exit(settings)
    factory, redirect = _listeners(
        settings, host, port, redirect_port, behind_proxy=behind_proxy, http=http
    )
    require_valid_secrets(settings)
    prepare(settings)
    if factory is not None:
        ca = settings.tls_ca_file
        if ca.exists():
            typer.echo(
                f"Trust this CA to verify the server: {ca} "
                f"(e.g. curl --cacert {ca} {settings.http.public_url}/health)"
            )
    pid_path = pid_file(settings.paths.var_dir)
    try:
        if redirect is not None:
            try:
                redirect.start()
            except TlsError as exc:
                typer.echo(f"error: {exc}", err=True)
                raise typer.Exit(2) from None
            listen = _origin("http", host, redirect_port)
            typer.echo(f"Redirecting {listen} to {settings.http.public_url}")
        # For `faceless secrets reload`: SIGHUP to this process (uvicorn's supervisor
        # with --workers) reloads the secrets everywhere. One sent while the app is still
        # starting must not end it.
        defer_sighup()
        write_pid_file(pid_path)
        scheme = "http" if factory is None else "https"
        typer.echo(f"Serving {scheme.upper()} on {_origin(scheme, host, port)}")
        _run_api(host, port, workers=workers, tls=factory, http=http)
    finally:
        remove_pid_file(pid_path)
        if redirect is not None:
            redirect.stop()


def _bounded_http_or_exit(settings: Settings) -> BoundedHttp:
    try:
        return bounded_http(settings)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _listeners(
    settings: Settings,
    host: str,
    port: int,
    redirect_port: int,
    *,
    behind_proxy: bool,
    http: BoundedHttp,
) -> tuple[ServerContextFactory | None, RedirectListener | None]:
    """The TLS context and the redirect listener to serve with; exit 2 if they are unusable."""
    try:
        if behind_proxy:
            if not settings.http.trusted_proxies:
                typer.echo(
                    "warning: --behind-proxy without TRUSTED_PROXIES: X-Forwarded-Proto and "
                    "X-Forwarded-For are ignored, so no HSTS and every client is the proxy",
                    err=True,
                )
            return None, None
        factory = prepare_tls(settings)
        if not redirect_port:
            return factory, None
        redirect = RedirectListener(settings, host, redirect_port, http=http)
        _check_public_url(settings, port)
    except (TlsError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return factory, redirect


def _run_api(
    host: str, port: int, *, workers: int, tls: ServerContextFactory | None, http: BoundedHttp
) -> None:
    uvicorn.run(
        "faceless.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
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
