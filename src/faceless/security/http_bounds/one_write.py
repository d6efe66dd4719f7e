"""A response's head and its first body bytes leave in one write.

uvicorn writes the status line and headers when the app sends
``http.response.start``, and the body when it sends ``http.response.body``: two
``send`` system calls and two TCP segments for every response, though nearly every
response has its body ready at once. Profiled under load (issue 11), the head's
write was the most expensive line of a ``/health`` answer: each write hands a segment
to the peer and wakes it. Here the head is held back until the first body bytes, and
both go out in one write; a response with no body bytes (``HEAD``, 204, 304) writes
its head when the app says the body is complete, exactly as before.

Nothing else changes: the bytes on the wire are the same, in the same order; writes
other than the head (``100 Continue``, refusals) are never held; flow control and
closing go straight to the transport.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

# Above this, a first body chunk is written after the head rather than copied onto it.
_MERGE_LIMIT = 64 * 1024


class HeadHoldingTransport:
    """The transport a response cycle writes to; the head write can be held."""

    __slots__ = ("_held", "_transport", "hold_next")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None
        self.hold_next = False

    def write(self, data: bytes) -> None:
        if self.hold_next:
            self.hold_next = False
            self._held = data
            return
        held, self._held = self._held, None
        if held is None:
            self._transport.write(data)
        elif len(data) <= _MERGE_LIMIT:
            self._transport.write(held + data)
        else:
            self._transport.write(held)
            self._transport.write(data)

    def release(self) -> None:
        """Write a held head (a response that ended without body bytes)."""
        self.hold_next = False
        held, self._held = self._held, None
        if held is not None:
            self._transport.write(held)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def write_head_with_body(cycle: RequestResponseCycle) -> None:
    """Make ``cycle`` (not yet running) write its head together with its first body bytes."""
    transport = HeadHoldingTransport(cycle.transport)
    cycle.transport = transport  # type: ignore[assignment]
    send = cycle.send

    async def send_holding_the_head(message: ASGISendEvent) -> None:
        if message["type"] == "http.response.start":
            transport.hold_next = True
            try:
                await send(message)
            except BaseException:
                transport.release()  # refused before writing: hold nothing
                raise
            return
        try:
            await send(message)
        finally:
            if not message.get("more_body", False):
                transport.release()

    cycle.send = send_holding_the_head  # type: ignore[method-assign]
