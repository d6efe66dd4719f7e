"""``faceless nginx-config``: render the nginx configuration from the settings."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from faceless.nginx.render import (
    DEFAULT_OUTPUT,
    NginxOptions,
    default_settings,
    render_nginx_config,
)
from faceless.settings import load_settings

_DEFAULTS = NginxOptions()


def _write(path: Path, text: str) -> None:
    """Atomic replace, so a running nginx reloading at the wrong moment sees old or new."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(tmp, 0o644)  # public configuration: no secrets in it
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _render(options: NginxOptions, *, defaults: bool) -> str:
    """The configuration text; a bad setting or option exits 2 with its message."""
    try:
        settings = default_settings() if defaults else load_settings()
        return render_nginx_config(settings, options)
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _emit(text: str, output: str, *, check: bool) -> None:
    if output == "-":
        typer.echo(text, nl=False)
        return
    path = Path(output)
    if check:
        _check(path, text)
        return
    _write(path, text)
    typer.echo(f"wrote {path}; check it with `nginx -t -c {path.resolve()}`")


def _check(path: Path, text: str) -> None:
    """``--check``: a file edited by hand or not regenerated exits 1 instead of passing."""
    current = path.read_text(encoding="utf-8") if path.exists() else None
    if current != text:
        typer.echo(f"{path} differs from a fresh render; run `faceless nginx-config`", err=True)
        raise typer.Exit(1)
    typer.echo(f"{path} is up to date")


def nginx_config(
    upstream: Annotated[
        list[str] | None,
        typer.Option(
            "--upstream",
            help="host:port of an API instance (repeatable) "
            f"[default: {', '.join(_DEFAULTS.upstreams)}]",
        ),
    ] = None,
    server_name: Annotated[
        list[str] | None,
        typer.Option("--server-name", help="server_name (repeatable) [default: PUBLIC_URL host]"),
    ] = None,
    public_url: Annotated[
        str | None,
        typer.Option("--public-url", help="Redirect target origin [default: PUBLIC_URL]"),
    ] = None,
    cert: Annotated[
        str, typer.Option("--cert", help="Certificate chain (leaf + intermediates), PEM")
    ] = _DEFAULTS.cert,
    key: Annotated[str, typer.Option("--key", help="Private key, PEM")] = _DEFAULTS.key,
    http_port: Annotated[
        int, typer.Option("--http-port", help="Plain-HTTP (redirect) port")
    ] = _DEFAULTS.http_port,
    https_port: Annotated[int, typer.Option("--https-port", help="HTTPS port")] = (
        _DEFAULTS.https_port
    ),
    http2_directive: Annotated[
        bool,
        typer.Option(
            "--http2-directive",
            help="Emit `http2 on;` (nginx >= 1.25.1) instead of `listen ... http2`",
        ),
    ] = False,
    foreground: Annotated[
        bool, typer.Option("--foreground", help="`daemon off;` (containers)")
    ] = False,
    user: Annotated[
        str | None, typer.Option("--user", help="Worker user when nginx starts as root")
    ] = None,
    login_rate: Annotated[
        int,
        typer.Option("--login-rate", min=1, help="Login requests per minute per IP (outer wall)"),
    ] = _DEFAULTS.login_rate_per_minute,
    login_burst: Annotated[
        int, typer.Option("--login-burst", min=0, help="Login burst above the rate")
    ] = _DEFAULTS.login_burst,
    connections_per_address: Annotated[
        int,
        typer.Option(
            "--connections-per-address",
            min=1,
            help="Requests in progress per client address (limit_conn; 503 beyond)",
        ),
    ] = _DEFAULTS.connections_per_address,
    output: Annotated[
        str, typer.Option("--output", "-o", help="Where to write it; '-' for standard output")
    ] = DEFAULT_OUTPUT,
    defaults: Annotated[
        bool,
        typer.Option(
            "--defaults",
            help="Built-in settings, ignoring the environment (how the committed file is made)",
        ),
    ] = False,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if OUTPUT differs from a fresh render"),
    ] = False,
) -> None:
    """Render the nginx configuration (TLS, redirect, proxy, limits) from the settings."""
    options = NginxOptions(
        upstreams=tuple(upstream) if upstream else _DEFAULTS.upstreams,
        server_names=tuple(server_name or ()),
        public_url=public_url,
        cert=cert,
        key=key,
        http_port=http_port,
        https_port=https_port,
        http2_directive=http2_directive,
        foreground=foreground,
        user=user,
        login_rate_per_minute=login_rate,
        login_burst=login_burst,
        connections_per_address=connections_per_address,
    )
    _emit(_render(options, defaults=defaults), output, check=check)
