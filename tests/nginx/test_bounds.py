"""nginx's own request bounds, on a real nginx: head size (431) and requests per address (503).

Both are answered by nginx itself, so the access log shows no upstream for them, and the
responses are nginx's problem documents with the full header set.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from faceless.settings import HttpSettings, Settings
from tests.nginx.conftest import Stack
from tests.nginx.server import NginxServer
from tests.security.http_bounds.clients import Listener, exchange, refused, request

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

PER_ADDRESS = 3


def _https(server: NginxServer, stack: Stack) -> Listener:
    return Listener("nginx", server.https_port, stack.certs.ca_cert)


def _logged_after(server: NginxServer, seen: int) -> list[dict[str, Any]]:
    """Access-log entries after the first ``seen``; nginx writes them once it has answered."""
    deadline = time.monotonic() + 10
    while not (entries := server.access_entries()[seen:]):
        assert time.monotonic() < deadline, "nginx logged nothing"
        time.sleep(0.05)
    return entries


@pytest.mark.parametrize("pieces", [1, 17], ids=["one-header", "many-headers"])
def test_a_17_kib_head_is_refused_by_nginx(nginx_stack: Stack, pieces: int) -> None:
    size = 17 * 1024 // pieces - len("X-Pad-00: \r\n")
    padding = {f"X-Pad-{i:02}": "p" * size for i in range(pieces)}
    seen = len(nginx_stack.nginx.access_entries())
    response = refused(_https(nginx_stack.nginx, nginx_stack), request("GET", headers=padding))
    assert response is not None and response.status in (400, 431), response
    assert json.loads(response.body)["status"] == response.status
    new = _logged_after(nginx_stack.nginx, seen)
    assert all(entry["upstream"] == "" for entry in new), new  # the app never saw it


@pytest.fixture
def limited_nginx(nginx_stack: Stack, public_dir: Path) -> Iterator[NginxServer]:
    """A second nginx in front of the same API processes, PER_ADDRESS requests per address."""
    server = NginxServer(
        settings=Settings(http=HttpSettings(public_url=nginx_stack.https_url)),
        directory=public_dir,
        cert=nginx_stack.certs.cert,
        key=nginx_stack.certs.key,
        upstreams=[f"127.0.0.1:{port}" for port in nginx_stack.api_ports],
        connections_per_address=PER_ADDRESS,
    )
    with server:
        yield server


@contextlib.contextmanager
def requests_in_progress(listener: Listener, count: int) -> Iterator[list[socket.socket]]:
    """``count`` requests whose bodies are still on their way (nginx buffers them)."""
    head = request(
        "POST", "/api/v1/auth/login", {"Content-Type": "application/json"}, content_length=1000
    )
    sockets = []
    try:
        for _ in range(count):
            sock = listener.connect()
            sock.sendall(head + b'{"username": ')
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def test_limit_conn_answers_503_beyond_the_per_address_cap(
    limited_nginx: NginxServer, nginx_stack: Stack
) -> None:
    https = _https(limited_nginx, nginx_stack)
    plain = Listener("nginx-http", limited_nginx.http_port)
    assert exchange(https, request("GET")).status == 200
    with requests_in_progress(https, PER_ADDRESS):
        beyond = exchange(https, request("GET"))
        assert beyond.status == 503
        assert beyond.headers["retry-after"] == "1"
        assert beyond.headers["strict-transport-security"].startswith("max-age=")
        assert json.loads(beyond.body)["status"] == 503
        # The redirect costs nothing and is answered before limits apply.
        assert exchange(plain, request("GET")).status == 301
    # nginx notices the closed connections at once; allow it a moment all the same.
    deadline = time.monotonic() + 10
    while (status := exchange(https, request("GET")).status) == 503:
        assert time.monotonic() < deadline, "the address's slots never came back"
        time.sleep(0.1)
    assert status == 200
    refusals = [e for e in _logged_after(limited_nginx, 0) if e["status"] == 503]
    assert refusals and all(entry["upstream"] == "" for entry in refusals)
