"""``/metrics`` for a process tree without the API: ``faceless worker --metrics-port``.

Design:

* A Celery worker's jobs run in its pool's children; in multiprocess mode each child
  writes its values to the tree's directory and this listener, in the parent, serves
  their sum (:func:`faceless.metrics.exposition.render`). Prometheus scrapes it as a
  target of its own, next to the API instances.
* The same rule as the API's endpoint: a client address in ``METRICS_ALLOW``, or the
  ``METRICS_TOKEN`` bearer token compared in constant time; anything else is a 403 that
  does not say which check failed. Only ``GET /metrics`` exists (404 otherwise), no
  request body is read, and the listener binds loopback unless told otherwise.
* It runs in a daemon thread of the parent, so the worker's own signals and loop are
  untouched, and forked children do not inherit it (threads do not survive a fork).
"""

from __future__ import annotations

import hmac
import socket
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4

from faceless.metrics.exposition import render

TokenSource = Callable[[], str | None]


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str, port: int, allow: Sequence[str], token: TokenSource) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.allow = frozenset(allow)
        self.token = token
        super().__init__((host, port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "faceless"
    sys_version = ""

    def do_GET(self) -> None:
        if self.path.partition("?")[0] != "/metrics":
            self._answer(404, b"not found\n", "text/plain; charset=utf-8")
        elif not self._allowed():
            self._answer(403, b"forbidden\n", "text/plain; charset=utf-8")
        else:
            self._answer(200, render(), CONTENT_TYPE_PLAIN_0_0_4)

    def _allowed(self) -> bool:
        if self.client_address[0] in self.server.allow:
            return True
        scheme, _, presented = self.headers.get("Authorization", "").partition(" ")
        expected = self.server.token() if scheme.lower() == "bearer" and presented else None
        return expected is not None and hmac.compare_digest(presented.encode(), expected.encode())

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        """Scrapes are not worth a log line each."""


class MetricsListener:
    def __init__(self, host: str, port: int, *, allow: Sequence[str], token: TokenSource) -> None:
        self._server = _Server(host, port, allow, token)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="metrics-listener", daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def start(self) -> MetricsListener:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever to notice
            self._server.shutdown()
            self._thread.join(timeout=5)
        self._server.server_close()
