"""A local site whose every page is an Observatory scenario: chosen headers and body.

HTTPS on one port (a development CA the test trusts), plain HTTP on another that
redirects each path to the same path over HTTPS, like a well-run site. The scenarios
exercise the engine's branches that our own server never reaches (cookies, unsafe
CSPs, meta policies, external scripts, odd header values), so that the reproduction is
compared with the engine on them too.
"""

from __future__ import annotations

import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self

from faceless.security.tls.certs import CertPaths, ensure_dev_certificates

HTML = "text/html; charset=utf-8"
GOOD = [
    ("Strict-Transport-Security", "max-age=63072000"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
]
_PAGE = "<!doctype html><html><head>{head}</head><body>{body}</body></html>"

# name -> (headers, content type, body)
SCENARIOS: dict[str, tuple[list[tuple[str, str]], str, str]] = {
    "bare": ([], "application/json", "{}"),
    "cookies-insecure-session": (
        [*GOOD, ("Set-Cookie", "sessionid=1; Path=/"), ("Set-Cookie", "csrftoken=2")],
        "application/json",
        "{}",
    ),
    "cookies-good": (
        [*GOOD, ("Set-Cookie", "sessionid=1; Secure; HttpOnly; SameSite=Lax")],
        "application/json",
        "{}",
    ),
    "cookies-bad-samesite": (
        [*GOOD, ("Set-Cookie", "a=1; Secure; SameSite=Sideways")],
        "application/json",
        "{}",
    ),
    "csp-unsafe-inline": (
        [
            *GOOD,
            ("Content-Security-Policy", "default-src 'self'; script-src 'self' 'unsafe-inline'"),
        ],
        "application/json",
        "{}",
    ),
    "csp-strict-dynamic-nonce": (
        [
            *GOOD,
            (
                "Content-Security-Policy",
                "default-src 'none'; script-src 'nonce-abc' 'strict-dynamic' https: 'unsafe-inline';"
                " object-src 'none'; base-uri 'none'; frame-ancestors 'self'",
            ),
        ],
        "application/json",
        "{}",
    ),
    "csp-strict-dynamic-alone": (
        [*GOOD, ("Content-Security-Policy", "script-src 'strict-dynamic'")],
        "application/json",
        "{}",
    ),
    "csp-two-headers": (
        [
            *GOOD,
            ("Content-Security-Policy", "default-src 'self' https://a.example/x/"),
            ("Content-Security-Policy", "default-src https://a.example/x/y 'none'"),
        ],
        "application/json",
        "{}",
    ),
    "csp-report-only": (
        [*GOOD, ("Content-Security-Policy-Report-Only", "default-src 'none'")],
        "application/json",
        "{}",
    ),
    "csp-insecure-passive": (
        [*GOOD, ("Content-Security-Policy", "default-src 'none'; img-src http://img.example")],
        "application/json",
        "{}",
    ),
    "html-meta-and-scripts": (
        [*GOOD, ("Referrer-Policy", "unsafe-url, no-referrer")],
        HTML,
        _PAGE.format(
            head='<meta http-equiv="Content-Security-Policy" content="default-src \'self\'; '
            'frame-ancestors \'none\'"><meta name="referrer" content="origin">',
            body='<script src="https://cdn.example.net/lib.js"></script>'
            '<script src="/local.js" integrity="sha384-x"></script><script>1</script>',
        ),
    ),
    "html-protocol-relative-script": (
        [*GOOD, ("Content-Security-Policy", "default-src 'self'")],
        HTML,
        _PAGE.format(head="", body='<script src="//cdn.example.net/lib.js"></script>'),
    ),
    "odd-values": (
        [
            ("Strict-Transport-Security", "max-age=100"),
            ("X-Content-Type-Options", "yes"),
            ("X-Frame-Options", "ALLOW-FROM https://a.example"),
            ("Cross-Origin-Resource-Policy", "everyone"),
            ("Referrer-Policy", "nonsense"),
            ("Access-Control-Allow-Origin", "*"),
        ],
        "application/json",
        "{}",
    ),
    "hsts-twice": (
        [
            ("Strict-Transport-Security", "max-age=63072000"),
            ("Strict-Transport-Security", "max-age=1"),
        ],
        "application/json",
        "{}",
    ),
}


class _Handler(BaseHTTPRequestHandler):
    server: _Site

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        if not self.server.secure:
            self.send_response(301)
            self.send_header("Location", f"https://localhost:{self.server.https_port}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        name = self.path.strip("/").split("/")[-1]
        headers, content_type, text = SCENARIOS.get(name, ([], "text/plain", "no such scenario"))
        payload = text.encode()
        self.send_response(200 if name in SCENARIOS else 404)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._answer()

    def do_OPTIONS(self) -> None:
        self._answer()


class _Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, *, secure: bool, https_port: int = 0) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secure, self.https_port = secure, https_port


class ScenarioSite:
    """HTTPS and its redirecting plain-HTTP twin; ``ca`` is the CA to trust."""

    def __init__(self, directory: Path) -> None:
        paths = CertPaths(directory)
        ensure_dev_certificates(paths)
        self.ca = paths.ca_cert
        self._https = _Site(secure=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(paths.cert, paths.key)
        self._https.socket = context.wrap_socket(self._https.socket, server_side=True)
        self.https_port: int = self._https.server_address[1]
        self._http = _Site(secure=False, https_port=self.https_port)
        self.http_port: int = self._http.server_address[1]
        self._threads = [
            threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            for s in (self._https, self._http)
        ]

    def __enter__(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for site in (self._https, self._http):
            site.shutdown()
            site.server_close()
