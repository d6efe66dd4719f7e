"""ResponseCycle: a head goes out with the first body bytes; the bytes are uvicorn's."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from faceless.security.http_bounds.cycle import ResponseCycle


class RecordingTransport(asyncio.Transport):
    """Records what the cycle writes (the wire is not what is under test here)."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default


def _cycle(
    method: str = "GET",
    *,
    expect_100: bool = False,
    kind: type[RequestResponseCycle] = ResponseCycle,
    keep_alive: bool = True,
) -> tuple[Any, RecordingTransport]:
    transport = RecordingTransport()
    scope = {"type": "http", "method": method, "path": "/", "http_version": "1.1", "headers": []}
    cycle = kind(
        scope=scope,  # type: ignore[arg-type]
        transport=transport,
        flow=FlowControl(transport),
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test.access"),
        access_log=False,
        default_headers=[(b"date", b"Sat, 05 Dec 2026 04:33:07 GMT")],
        message_event=asyncio.Event(),
        expect_100_continue=expect_100,
        keep_alive=keep_alive,
        on_response=lambda: None,
    )
    return cycle, transport


START = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
HEAD = b"HTTP/1.1 200 OK\r\ndate: Sat, 05 Dec 2026 04:33:07 GMT\r\ncontent-length: 5\r\n\r\n"


async def test_the_head_waits_for_the_body_and_leaves_with_it() -> None:
    cycle, transport = _cycle()
    await cycle.send(START)
    assert transport.writes == []
    await cycle.send({"type": "http.response.body", "body": b"hello"})
    assert transport.writes == [HEAD + b"hello"]
    assert cycle.response_complete


async def test_a_streamed_body_merges_only_its_first_chunk() -> None:
    cycle, transport = _cycle()
    await cycle.send(START)
    await cycle.send({"type": "http.response.body", "body": b"he", "more_body": True})
    await cycle.send({"type": "http.response.body", "body": b"llo", "more_body": False})
    assert transport.writes == [HEAD + b"he", b"llo"]


async def test_a_response_without_body_bytes_writes_its_head_when_complete() -> None:
    cycle, transport = _cycle("HEAD")
    await cycle.send(START)
    assert transport.writes == []
    await cycle.send({"type": "http.response.body", "body": b""})
    assert transport.writes == [HEAD]


async def test_100_continue_is_never_held() -> None:
    cycle, transport = _cycle(expect_100=True)
    cycle.more_body = False
    cycle.message_event.set()
    await cycle.receive()
    assert transport.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]


async def test_a_refused_start_holds_nothing() -> None:
    cycle, transport = _cycle()
    bad = {"type": "http.response.start", "status": 200, "headers": [(b"x", b"a\r\nb")]}
    with pytest.raises(RuntimeError, match="Invalid HTTP header value"):
        await cycle.send(bad)
    assert transport.writes == []
    assert cycle.response_started  # as uvicorn: run_asgi closes the connection, no 500


def _start(status: int, *headers: tuple[bytes, bytes]) -> dict[str, Any]:
    return {"type": "http.response.start", "status": status, "headers": list(headers)}


def _body(body: bytes, more: bool = False) -> dict[str, Any]:
    return {"type": "http.response.body", "body": body, "more_body": more}


LENGTH = (b"content-length", b"5")
# (request method, keep-alive, messages): every framing uvicorn's cycle decides.
CONVERSATIONS = [
    ("GET", True, [_start(200, LENGTH, (b"X-Mixed-Case", b"v")), _body(b"hello")]),
    ("GET", True, [_start(200), _body(b"he", True), _body(b"llo", True), _body(b"")]),
    ("GET", True, [_start(200, (b"Transfer-Encoding", b"chunked")), _body(b"x" * 70_000)]),
    ("GET", True, [_start(200, LENGTH, (b"connection", b"keep-alive, Close")), _body(b"hello")]),
    ("GET", False, [_start(200, LENGTH), _body(b"hel", True), _body(b"lo")]),
    ("HEAD", True, [_start(200, LENGTH), _body(b"")]),
    ("HEAD", True, [_start(200), _body(b"ignored")]),
    ("GET", True, [_start(204), _body(b"")]),
    ("GET", True, [_start(304, (b"etag", b'"1"')), _body(b"")]),
    ("GET", True, [_start(200, LENGTH), _body(b"hello!")]),  # longer than its length
    ("GET", True, [_start(200, LENGTH), _body(b"hell")]),  # shorter than its length
    ("GET", True, [_start(200, (b"bad name", b"v")), _body(b"")]),
    ("GET", True, [_start(200, LENGTH), _body(b"hello"), _body(b"")]),  # after completion
    ("GET", True, [_body(b"hello")]),  # a body before its start
]


async def _converse(
    kind: type[RequestResponseCycle], method: str, keep_alive: bool, messages: list[Any]
) -> tuple[bytes, bool, bool, bool, str | None]:
    cycle, transport = _cycle(method, kind=kind, keep_alive=keep_alive)
    error = None
    try:
        for message in messages:
            await cycle.send(message)
    except RuntimeError as exc:
        error = str(exc)
    wire = b"".join(transport.writes)
    return wire, transport.closed, cycle.response_started, cycle.response_complete, error


@pytest.mark.parametrize(("method", "keep_alive", "messages"), CONVERSATIONS)
async def test_the_bytes_and_the_outcome_are_uvicorns(
    method: str, keep_alive: bool, messages: list[Any]
) -> None:
    ours = await _converse(ResponseCycle, method, keep_alive, messages)
    theirs = await _converse(RequestResponseCycle, method, keep_alive, messages)
    assert ours == theirs


async def test_the_same_header_twice_is_checked_and_written_twice() -> None:
    cycle, transport = _cycle()
    await cycle.send(_start(200, LENGTH, (b"x-a", b"1"), (b"X-A", b"1")))
    await cycle.send(_body(b"hello"))
    assert transport.writes[0].count(b"x-a: 1\r\n") == 2
