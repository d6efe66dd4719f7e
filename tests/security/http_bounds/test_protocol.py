"""Head size, head time and body pauses on every listener, against real server processes.

The servers (conftest) run with 2 s head and body timeouts; "dropped" is asserted with a
liveness bound of ten times that. Responses are read with the raw client in
``clients.py``, so pipelining and half-sent requests are exactly what is written here.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.security.http_bounds.clients import (
    Listener,
    Reader,
    closed_within,
    exchange,
    refused,
    request,
)
from tests.security.http_bounds.conftest import BODY_TIMEOUT, HEADER_TIMEOUT

pytestmark = pytest.mark.slow

LIVENESS = 10  # times the configured timeout
LIMIT = 16 * 1024
SERVED = {"tls": 200, "proxied": 200, "redirect": 301}
LOGIN = "/api/v1/auth/login"


def _padding(total: int, *, pieces: int = 1) -> dict[str, str]:
    """``pieces`` headers whose lines add up to about ``total`` bytes."""
    size = total // pieces - len("X-Pad-00: \r\n")
    return {f"X-Pad-{i:02}": "p" * size for i in range(pieces)}


@pytest.mark.parametrize("pieces", [1, 17], ids=["one-header", "many-headers"])
def test_a_17_kib_head_is_refused_never_served(listener: Listener, pieces: int) -> None:
    response = refused(listener, request("GET", headers=_padding(17 * 1024, pieces=pieces)))
    assert response is None or response.status in (400, 431), response
    if response is not None and response.status == 431:
        assert json.loads(response.body)["status"] == 431
        assert response.headers["connection"] == "close"


def test_a_100_mib_head_is_refused_too(listener: Listener) -> None:
    """Not parsed to its end and then served (what uvicorn alone does, after ~10 s of CPU)."""
    head = request("GET")[:-2] + b"X-Big: "
    response = refused(listener, head + b"a" * (100 * 1024 * 1024) + b"\r\n\r\n")
    assert response is None or response.status in (400, 431), response


def test_a_head_under_the_limit_is_served(listener: Listener) -> None:
    headers = _padding(LIMIT - 1024, pieces=4)
    assert exchange(listener, request("GET", headers=headers)).status == SERVED[listener.name]


def test_heads_on_a_keep_alive_connection_are_measured_one_by_one(listener: Listener) -> None:
    with listener.connect() as sock:
        reader = Reader(sock)
        for _ in range(4):  # 48 KiB of heads in all, 12 KiB each
            sock.sendall(request("GET", headers=_padding(12 * 1024, pieces=3)))
            assert reader.response().status == SERVED[listener.name]


def test_pipelined_requests_are_answered_in_order(listener: Listener) -> None:
    ids = ["first", "second", "third"]
    with listener.connect() as sock:
        sock.sendall(b"".join(request("GET", headers={"X-Request-ID": i}) for i in ids))
        reader = Reader(sock)
        answers = [reader.response() for _ in ids]
    assert [a.headers["x-request-id"] for a in answers] == ids
    assert {a.status for a in answers} == {SERVED[listener.name]}


def test_a_pipelined_head_over_the_limit_is_refused(listener: Listener) -> None:
    small = request("GET", headers={"X-Request-ID": "small"})
    large = request("GET", headers=_padding(17 * 1024, pieces=17))
    with listener.connect() as sock:
        sock.sendall(small + large)  # one write: the large head starts mid-read
        reader = Reader(sock)
        assert reader.response().status == SERVED[listener.name]
        try:
            second = reader.response().status
        except ConnectionError:
            second = None
    assert second in (None, 400, 431)


def test_a_head_pipelined_behind_a_body_is_measured_too(app_listener: Listener) -> None:
    body = json.dumps({"username": "nobody", "password": "x" * 20_000}).encode()
    post = request("POST", LOGIN, {"Content-Type": "application/json"}, body)
    large = request("GET", headers=_padding(17 * 1024, pieces=17))
    with app_listener.connect() as sock:
        sock.sendall(post + large)
        reader = Reader(sock)
        assert reader.response().status in (401, 422)  # answered first, in order
        try:
            second = reader.response().status
        except ConnectionError:
            second = None
    assert second in (None, 400, 431)


def test_a_body_larger_than_the_head_limit_is_a_body(app_listener: Listener) -> None:
    body = json.dumps({"username": "nobody", "password": "x" * 100_000}).encode()
    post = request("POST", LOGIN, {"Content-Type": "application/json"}, body)
    with app_listener.connect() as sock:
        sock.sendall(post + request("GET", headers={"X-Request-ID": "after"}))
        reader = Reader(sock)
        assert reader.response().status in (401, 422)  # the app's answer, not 431
        after = reader.response()
    assert after.status == 200 and after.headers["x-request-id"] == "after"


def test_a_stalled_head_is_dropped(listener: Listener) -> None:
    with listener.connect() as sock:
        sock.sendall(request("GET")[:20])
        closed, sent = closed_within(sock, LIVENESS * HEADER_TIMEOUT)
    assert closed and sent == b""


def test_an_idle_connection_is_dropped(listener: Listener) -> None:
    with listener.connect() as sock:
        closed, sent = closed_within(sock, LIVENESS * HEADER_TIMEOUT)
    assert closed and sent == b""


def test_a_trickled_head_is_dropped_at_its_deadline(app_listener: Listener) -> None:
    """One byte every 0.2 s never finishes the head in time: the deadline is for the whole."""
    head = request("GET", headers=_padding(1024))
    with app_listener.connect() as sock:
        sock.settimeout(0.2)
        deadline = time.monotonic() + LIVENESS * HEADER_TIMEOUT
        sent = 0
        while time.monotonic() < deadline and sent < len(head) - 4:
            try:
                sock.sendall(head[sent : sent + 1])
                sent += 1
                if sock.recv(1) == b"":
                    break
            except TimeoutError:
                continue
            except OSError:
                break
        else:
            pytest.fail(f"still open after {sent} bytes over {LIVENESS * HEADER_TIMEOUT} s")
    assert sent < len(head) - 4


def test_a_stalled_body_is_cut(app_listener: Listener) -> None:
    post = request("POST", LOGIN, {"Content-Type": "application/json"}, content_length=100)
    with app_listener.connect() as sock:
        sock.sendall(post + b'{"username": ')
        closed, sent = closed_within(sock, LIVENESS * BODY_TIMEOUT)
    assert closed and sent == b""


def test_a_slow_steady_body_is_read_to_its_end(app_listener: Listener) -> None:
    """Pauses shorter than the timeout, longer than it in total: served."""
    body = json.dumps({"username": "nobody", "password": "wrong password"}).encode()
    post = request("POST", LOGIN, {"Content-Type": "application/json"}, body)
    head, rest = post[: -len(body)], body
    pieces = [rest[i : i + 8] for i in range(0, len(rest), 8)]
    pause = BODY_TIMEOUT / 3
    assert pause * len(pieces) > 2 * BODY_TIMEOUT
    with app_listener.connect() as sock:
        sock.sendall(head)
        for piece in pieces:
            time.sleep(pause)
            sock.sendall(piece)
        assert Reader(sock).response().status == 401
