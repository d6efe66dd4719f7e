"""Render the nginx configuration that fronts the API, from the application settings.

Design: nginx terminates TLS (Mozilla intermediate, from :mod:`faceless.security.tls.policy`,
the same constants the app's own listener uses) and proxies to N API instances. Every
value that reaches the template is validated here first (hostnames, ports, paths, header
values), so a setting can never smuggle a directive into the configuration. Security
headers have exactly one owner per response: the app on everything it answers, nginx
(with the header set computed by the app's own :func:`build_header_policy`) only on the
responses it makes itself: the plain-HTTP redirect and its internal error pages.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import jinja2

from faceless.security.headers import HeaderPolicy, build_header_policy
from faceless.security.tls import policy as tls_policy
from faceless.settings import HttpSettings, SecuritySettings, Settings

__all__ = [
    "DEFAULT_OUTPUT",
    "HEADER_BUFFER_MAX",
    "LOGIN_PATH",
    "MULTIPART_MARGIN_BYTES",
    "NginxOptions",
    "Timeouts",
    "client_max_body_size",
    "default_settings",
    "render_nginx_config",
]

DEFAULT_OUTPUT = "deploy/nginx/faceless.conf"
LOGIN_PATH = "/api/v1/auth/login"
# Multipart framing around an upload; the app allows the same margin (security/limits.py).
MULTIPART_MARGIN_BYTES = 64 * 1024
# The largest of nginx's large_client_header_buffers: a longer request line or header
# line is refused (414, 494) whatever MAX_HEADER_BYTES says.
HEADER_BUFFER_MAX = 8 * 1024

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")
# Absolute paths of ordinary characters: nothing nginx would read as syntax or a variable.
_PATH = re.compile(r"^/[A-Za-z0-9._/+@-]*$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}(?: [a-z_][a-z0-9_-]{0,31})?$")
_HEADER_VALUE = re.compile(r"^[\x20-\x7e]*$")
_HEADER_VALUE_FORBIDDEN = frozenset('"\\$')


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. Short enough that slow clients cannot hold connections for free.

    The head and body timeouts are the app's own settings (``HEADER_TIMEOUT_SECONDS``,
    ``BODY_TIMEOUT_SECONDS``), rendered from them, not chosen here.
    """

    send: int = 30
    keepalive: int = 30
    # Must stay below uvicorn's keep-alive (5 s) so nginx never reuses a closed connection.
    upstream_keepalive: int = 4
    proxy_connect: int = 5
    proxy_send: int = 60
    proxy_read: int = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class NginxOptions:
    """Deployment choices that are not application settings. Defaults: the shipped file."""

    upstreams: tuple[str, ...] = ("127.0.0.1:8000", "127.0.0.1:8001")
    server_names: tuple[str, ...] = ()  # default: the host of PUBLIC_URL
    public_url: str | None = None  # default: settings.http.public_url
    cert: str = "/etc/nginx/certs/fullchain.pem"
    key: str = "/etc/nginx/certs/privkey.pem"
    http_port: int = 80
    https_port: int = 443
    # "" is every IPv4 address; "[::]" every IPv6 address; tests use ("127.0.0.1",).
    listen_addresses: tuple[str, ...] = ("", "[::]")
    # nginx >= 1.25.1 spells HTTP/2 as `http2 on;` (the `listen ... http2` form warns there);
    # Debian 12 ships 1.22, which only knows the `listen` form.
    http2_directive: bool = False
    foreground: bool = False  # `daemon off;` (containers, tests)
    user: str | None = None  # only meaningful when nginx starts as root
    worker_processes: str = "auto"
    worker_connections: int = 1024
    pid_path: str | None = None  # None: nginx's compiled-in default
    temp_dir: str | None = None  # None: nginx's compiled-in temp paths
    error_log: str = "/var/log/nginx/error.log"
    access_log: str = "/var/log/nginx/access.log"
    login_rate_per_minute: int = 10
    login_burst: int = 5
    # Concurrent requests per client address (limit_conn; an HTTP/2 stream counts as one).
    connections_per_address: int = 100
    upstream_keepalive: int = 32
    timeouts: Timeouts = field(default_factory=Timeouts)


@dataclass(frozen=True, slots=True)
class _ErrorBody:
    status: int
    title: str
    detail: str


# nginx status -> the status of the problem document answered for it. 494 is nginx's
# private "request header too large" and 497 "plain HTTP sent to the HTTPS port".
_ERROR_PAGES: dict[int, int] = {
    400: 400,
    404: 404,
    405: 405,
    408: 408,
    413: 413,
    414: 414,
    429: 429,
    494: 431,
    497: 400,
    500: 500,
    502: 502,
    503: 503,
    504: 504,
}

_ERROR_DETAILS: dict[int, str] = {
    400: "The request could not be understood.",
    404: "Nothing is here.",
    405: "The method is not allowed here.",
    408: "The request took too long to arrive.",
    413: "The request body is larger than the server accepts.",
    414: "The request URI is too long.",
    429: "Too many requests; retry later.",
    431: "The request headers are too large.",
    500: "The server could not complete the request.",
    502: "The service is temporarily unavailable.",
    503: "The service is temporarily unavailable.",
    504: "The service did not answer in time.",
}


def default_settings() -> Settings:
    """The built-in defaults, whatever the environment says: the committed file's input."""
    # model_construct: field defaults without reading the process environment.
    return Settings(
        http=HttpSettings.model_construct(), security=SecuritySettings.model_construct()
    )


def client_max_body_size(settings: Settings) -> int:
    """The largest body nginx lets through: the app's upload limit plus multipart framing."""
    return settings.http.max_upload_bytes + MULTIPART_MARGIN_BYTES


def _header_name(name: str) -> str:
    return "-".join(
        part.upper() if part == "xss" else part.capitalize() for part in name.split("-")
    )


def _header_pairs(policy: HeaderPolicy, *, https: bool) -> list[tuple[str, str]]:
    pairs = []
    for name, value in policy.as_dict(https=https).items():
        if not _HEADER_VALUE.match(value) or _HEADER_VALUE_FORBIDDEN & set(value):
            raise ValueError(f"header {name} has a value nginx cannot carry verbatim: {value!r}")
        pairs.append((_header_name(name), value))
    return pairs


def _check_host(host: str, what: str) -> str:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        if not _HOSTNAME.match(host):
            raise ValueError(f"{what}: {host!r} is not a hostname or IP address") from None
    return host


def _check_port(port: int, what: str) -> int:
    if not 1 <= port <= 65535:
        raise ValueError(f"{what}: port {port} is outside 1-65535")
    return port


def _check_path(path: str, what: str, *, keywords: Sequence[str] = ()) -> str:
    if path in keywords or _PATH.match(path):
        return path
    raise ValueError(f"{what}: {path!r} must be an absolute path of plain characters")


def _upstream(entry: str) -> str:
    host, sep, port_text = entry.strip().rpartition(":")
    if not sep or not port_text.isdigit():
        raise ValueError(f"upstream {entry!r} must be host:port")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise ValueError(f"upstream {entry!r}: write an IPv6 address as [addr]:port")
    _check_host(host, "upstream")
    return f"{host}:{_check_port(int(port_text), 'upstream')}"


def _public_origin(url: str) -> tuple[str, str]:
    """``(origin, host)`` of the HTTPS origin redirects go to, default port dropped."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError(f"PUBLIC_URL {url!r} must be https:// when nginx terminates TLS")
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ValueError(f"PUBLIC_URL {url!r} must be an origin: https://host[:port]")
    host = parts.hostname
    if not host:
        raise ValueError(f"PUBLIC_URL {url!r} has no host")
    _check_host(host, "PUBLIC_URL")
    shown = f"[{host}]" if ":" in host else host
    port = parts.port
    origin = f"https://{shown}" + (f":{port}" if port not in (None, 443) else "")
    return origin, host


def _listen_address(address: str) -> str:
    if address == "":
        return address
    if address.startswith("[") and address.endswith("]"):
        ipaddress.IPv6Address(address[1:-1])
        return address
    try:
        ipaddress.IPv4Address(address)
    except ValueError:
        raise ValueError(f"listen address {address!r} must be IPv4, [IPv6] or empty") from None
    return address


def _server_names(settings: Settings, options: NginxOptions) -> tuple[str, tuple[str, ...]]:
    """``(public origin, server names)``; the names default to the origin's host."""
    origin, public_host = _public_origin(options.public_url or settings.http.public_url)
    server_names = options.server_names or (public_host,)
    for name in server_names:
        if name != "_":
            _check_host(name.lstrip("*."), "server name")
    return origin, server_names


def _check_options(options: NginxOptions) -> None:
    # Only the choices that are not checked as they are rendered.
    if options.user is not None and not _USER.match(options.user):
        raise ValueError(f"user {options.user!r} must be 'user' or 'user group'")
    if options.worker_processes != "auto" and not options.worker_processes.isdigit():
        raise ValueError("worker_processes must be 'auto' or a number")
    if options.login_rate_per_minute < 1 or options.login_burst < 0:
        raise ValueError("the login rate must be at least 1/minute and the burst not negative")
    if options.connections_per_address < 1:
        raise ValueError("connections per address must be at least 1")
    if not options.listen_addresses:
        raise ValueError("at least one listen address is needed")
    if options.http_port == options.https_port:
        raise ValueError("the HTTP and HTTPS ports must differ")


def _listen_context(options: NginxOptions) -> dict[str, Any]:
    return {
        "cert": _check_path(options.cert, "certificate"),
        "key": _check_path(options.key, "private key"),
        "http_port": _check_port(options.http_port, "HTTP port"),
        "https_port": _check_port(options.https_port, "HTTPS port"),
        "listen_addresses": [_listen_address(a) for a in options.listen_addresses],
        "http2_directive": options.http2_directive,
    }


def _process_context(options: NginxOptions) -> dict[str, Any]:
    return {
        "foreground": options.foreground,
        "user": options.user,
        "worker_processes": options.worker_processes,
        "worker_connections": options.worker_connections,
        "pid_path": options.pid_path and _check_path(options.pid_path, "pid file"),
        "temp_dir": options.temp_dir and _check_path(options.temp_dir, "temp dir"),
        "error_log": _check_path(options.error_log, "error log", keywords=("stderr",)),
        "access_log": _check_path(options.access_log, "access log", keywords=("off",)),
    }


def _login_context(options: NginxOptions) -> dict[str, Any]:
    return {
        "path": LOGIN_PATH,
        "rate": options.login_rate_per_minute,
        "burst": options.login_burst,
        "retry_after": math.ceil(60 / options.login_rate_per_minute),
    }


def _seconds(value: float) -> str:
    """An nginx time: whole seconds as ``30s``, anything finer in milliseconds."""
    milliseconds = math.ceil(value * 1000)
    return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"


def _bounds_context(settings: Settings, options: NginxOptions) -> dict[str, Any]:
    """The app's request bounds, as nginx spells them.

    nginx keeps a head that outgrows ``client_header_buffer_size`` in at most ``number``
    buffers of ``size`` bytes (a request line or a header line must fit in one): their
    product is at most ``MAX_HEADER_BYTES``, and no buffer is larger than 8 KiB.
    """
    limit = settings.http.max_header_bytes
    number = math.ceil(limit / HEADER_BUFFER_MAX)
    return {
        "max_header_bytes": limit,
        "header_buffers": f"{number} {limit // number}",
        "header_timeout": _seconds(settings.http.header_timeout_seconds),
        "body_timeout": _seconds(settings.http.body_timeout_seconds),
        "connections_per_address": options.connections_per_address,
    }


def _tls_context() -> dict[str, Any]:
    return {
        "guideline": tls_policy.GUIDELINE_VERSION,
        "protocols": "TLSv1.2 TLSv1.3",
        "ciphers": ":".join(tls_policy.TLS12_CIPHERS),
        "groups": ":".join(tls_policy.GROUPS),
        "prefer_server_ciphers": "on" if tls_policy.SERVER_PREFERRED_ORDER else "off",
    }


def _error_bodies() -> list[_ErrorBody]:
    return [
        _ErrorBody(
            status=status,
            title=HTTPStatus(status).phrase,
            detail=_ERROR_DETAILS[status],
        )
        for status in sorted(set(_ERROR_PAGES.values()))
    ]


def _context(settings: Settings, options: NginxOptions) -> dict[str, Any]:
    if not options.upstreams:
        raise ValueError("at least one upstream (host:port of an API instance) is needed")
    origin, server_names = _server_names(settings, options)
    _check_options(options)
    security = settings.security
    # The very function the app's middleware uses: nginx's own responses match the app's.
    headers = build_header_policy(
        hsts_max_age=security.hsts_max_age,
        hsts_preload=security.hsts_preload,
        legacy_xss_filter=security.legacy_xss_filter,
    )
    # Values are checked as they are built, so this order decides which error is reported.
    return {
        "upstreams": [_upstream(entry) for entry in options.upstreams],
        "server_name": " ".join(server_names),
        "public_origin": origin,
        **_listen_context(options),
        **_process_context(options),
        "timeouts": options.timeouts,
        "upstream_keepalive": options.upstream_keepalive,
        "max_upload_bytes": settings.http.max_upload_bytes,
        "max_media_bytes": settings.http.max_media_bytes,
        "client_max_body_size": client_max_body_size(settings),
        "login": _login_context(options),
        "bounds": _bounds_context(settings, options),
        "tls": _tls_context(),
        "http_headers": _header_pairs(headers, https=False),
        "https_headers": _header_pairs(headers, https=True),
        "error_pages": sorted(_ERROR_PAGES.items()),
        "error_bodies": _error_bodies(),
    }


def _environment() -> jinja2.Environment:
    # Not HTML: autoescaping would corrupt the file. Every value is validated in _context.
    return jinja2.Environment(
        loader=jinja2.PackageLoader("faceless.nginx", ""),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_nginx_config(settings: Settings, options: NginxOptions | None = None) -> str:
    """The complete nginx.conf for ``settings`` deployed as ``options`` describe."""
    template = _environment().get_template("nginx.conf.j2")
    return template.render(**_context(settings, options or NginxOptions()))
