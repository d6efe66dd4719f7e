"""The per-process connection cap, against real server processes.

Seats are held by clients that keep a request body trickling (one byte every 0.3 s, well
within the 2 s body timeout), so they stay open exactly as long as the test wants. The
TLS and redirect listeners of one process share its seats; ``clamped`` runs under an
open-file limit of 200 and must serve no more than 200 - 128 connections.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from tests.security.http_bounds.clients import Listener, exchange, request
from tests.security.http_bounds.conftest import (
    BODY_TIMEOUT,
    CLAMPED_CONNECTIONS,
    HEADER_TIMEOUT,
    MAX_CONNECTIONS,
    BoundedServer,
)

pytestmark = pytest.mark.slow

LIVENESS = 10


class SeatHolders:
    """``count`` connections, each in the middle of a body that keeps trickling."""

    def __init__(self, listener: Listener, count: int) -> None:
        self.sockets: list[socket.socket] = []
        self._stop = threading.Event()
        head = request(
            "POST",
            "/api/v1/auth/login",
            {"Content-Type": "application/json"},
            content_length=1_000_000,
        )
        for _ in range(count):
            sock = listener.connect()
            sock.sendall(head)
            self.sockets.append(sock)
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(0.3):
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.sendall(b" ")

    def stop_trickling(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def close(self) -> None:
        self.stop_trickling()
        for sock in self.sockets:
            sock.close()


@contextlib.contextmanager
def holding(listener: Listener, count: int) -> Iterator[SeatHolders]:
    holders = SeatHolders(listener, count)
    try:
        yield holders
    finally:
        holders.close()


def _status(listener: Listener) -> int:
    return exchange(listener, request("GET")).status


def _eventually_served(listener: Listener, expected: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while (status := _status(listener)) != expected and time.monotonic() < deadline:
        time.sleep(0.2)
    return status


def test_past_the_cap_a_request_is_answered_503_on_every_listener_of_the_process(
    bounded: BoundedServer,
) -> None:
    tls, redirect = bounded.listener("tls"), bounded.listener("redirect")
    with holding(tls, MAX_CONNECTIONS) as holders:
        beyond = exchange(tls, request("GET"))
        assert beyond.status == 503
        assert beyond.headers["connection"] == "close" and beyond.headers["retry-after"] == "1"
        assert _status(redirect) == 503  # one process, one count
        holders.stop_trickling()
        # The silent bodies are cut after BODY_TIMEOUT, and their seats come back.
        assert _eventually_served(tls, 200, LIVENESS * BODY_TIMEOUT) == 200
    assert _status(redirect) == 301


def test_stalled_heads_hold_seats_only_until_the_head_timeout(proxied: BoundedServer) -> None:
    listener = proxied.listener("proxied")
    with holding(listener, MAX_CONNECTIONS):
        assert _status(listener) == 503
    half_heads = [listener.connect() for _ in range(MAX_CONNECTIONS)]
    try:
        for sock in half_heads:
            sock.sendall(request("GET")[:20])
        # However the timing falls, /health is served again once the head timeout drops them.
        assert _eventually_served(listener, 200, LIVENESS * HEADER_TIMEOUT) == 200
    finally:
        for sock in half_heads:
            sock.close()


def test_the_open_file_limit_caps_the_connections(clamped: BoundedServer) -> None:
    listener = clamped.listener("clamped")
    output = clamped.process.output()
    assert f"serving at most {CLAMPED_CONNECTIONS} connections per process" in output
    with holding(listener, CLAMPED_CONNECTIONS - 1):
        assert _status(listener) == 200  # the last seat
        with holding(listener, 1):
            assert _status(listener) == 503
