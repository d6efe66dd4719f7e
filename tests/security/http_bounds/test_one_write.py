"""A response's head and first body bytes go out in one write; nothing else changes."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from faceless.security.http_bounds.one_write import write_head_with_body


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


def _cycle(method: str = "GET", *, expect_100: bool = False) -> tuple[Any, RecordingTransport]:
    transport = RecordingTransport()
    scope = {"type": "http", "method": method, "path": "/", "http_version": "1.1", "headers": []}
    cycle = RequestResponseCycle(
        scope=scope,  # type: ignore[arg-type]
        transport=transport,
        flow=FlowControl(transport),
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test.access"),
        access_log=False,
        default_headers=[],
        message_event=asyncio.Event(),
        expect_100_continue=expect_100,
        keep_alive=True,
        on_response=lambda: None,
    )
    write_head_with_body(cycle)
    return cycle, transport


START = {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"5")]}
HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


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
    cycle.transport.write(b"next")  # whatever is written next goes out at once
    assert transport.writes == [b"next"]
