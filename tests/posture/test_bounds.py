"""Probing is bounded and stays on the target given.

A target whose every answer redirects to another host (a canary listening on the same
machine under another name) is measured in full: the canary sees no connection at all.
A real instance is measured with a bounded number of requests, in seconds.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from faceless.posture.runner import measure
from faceless.posture.target import parse_target
from tests.posture.conftest import Fleet
from tests.posture.instances import CheckRun

MAX_REQUESTS = 60
BUDGET = 128


class Canary:
    """Counts every TCP connection made to it."""

    def __init__(self) -> None:
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.socket.settimeout(0.05)
        self.port: int = self.socket.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            connection.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.socket.close()


def _redirecting_to(port: int) -> type[BaseHTTPRequestHandler]:
    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _answer(self) -> None:
            self.send_response(302)
            self.send_header("Location", f"https://127.0.0.1:{port}{self.path}")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_GET = do_POST = do_OPTIONS = do_PUT = do_TRACE = _answer

    return Redirect


@pytest.fixture
def canary() -> Iterator[Canary]:
    running = Canary()
    yield running
    running.close()


def test_a_redirect_to_another_host_is_never_followed(canary: Canary) -> None:
    site = ThreadingHTTPServer(("127.0.0.1", 0), _redirecting_to(canary.port))
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        report = measure(
            parse_target(f"http://localhost:{site.server_address[1]}", http_url=None, ca_file=None)
        )
    finally:
        site.shutdown()
        site.server_close()
        thread.join(timeout=5)
    assert canary.connections == 0
    assert report.requests <= MAX_REQUESTS
    assert report.check("edge.redirect").status.value == "fail"


class _Loop(BaseHTTPRequestHandler):
    """Every answer redirects to another path on the same host, forever."""

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        self.send_response(307)
        self.send_header("Location", f"/loop-{len(self.path)}{self.path}"[:200])
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_OPTIONS = do_PUT = do_TRACE = _answer


def test_a_redirect_loop_on_the_target_stays_within_the_budget() -> None:
    site = ThreadingHTTPServer(("127.0.0.1", 0), _Loop)
    thread = threading.Thread(target=site.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        report = measure(
            parse_target(f"http://127.0.0.1:{site.server_address[1]}", http_url=None, ca_file=None)
        )
    finally:
        site.shutdown()
        site.server_close()
        thread.join(timeout=5)
    assert report.requests <= BUDGET
    assert report.grade == "F"


@pytest.mark.slow
def test_a_real_instance_costs_a_few_dozen_requests(
    fleet: Fleet, runs: dict[str, CheckRun]
) -> None:
    instance = fleet.instances["legacy_xss"]  # measured once already: its login tier is spent
    assert instance.http_url is not None
    target = parse_target(instance.origin, http_url=instance.http_url, ca_file=instance.ca_file)
    report = measure(target)
    assert report.requests <= MAX_REQUESTS
    assert report.seconds < 60  # about 2 s here; a liveness bound, not a benchmark
    assert report.check("tls.protocols").status.value == "pass"
    assert report.check("headers.xss_protection").status.value == "fail"
    assert runs["legacy_xss"].check("headers.xss_protection")["status"] == "fail"
