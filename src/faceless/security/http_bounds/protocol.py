"""uvicorn's httptools protocol with bounded heads, bounded pauses and a connection cap.

Design: uvicorn + httptools stay (the fastest HTTP/1.1 path uvicorn has); this subclass
adds what the protocol lacks, at the only layer that sees bytes before the parser
buffers them (ADR 0012):

- **Head size.** httptools gathers a header's pieces into one ``bytes`` until it ends,
  so a 100 MB header is parsed in full before anyone could look at it. While a head is
  being read, bytes reach the parser in slices that never take the head past
  ``max_header_bytes``; a head still unfinished at the limit is answered 431 and the
  connection closed. A pipelined head that began mid-slice is measured again from its
  parsed parts when it completes (a lower bound: whitespace around values is not
  kept), so it cannot slip past the limit either.
- **Head time.** A timer started when the connection opens (after the TLS handshake,
  which the event loop bounds at 60 s), and again when the first byte of a later head
  arrives (idle keep-alive is uvicorn's 5 s), closes the connection unless the head is
  complete within ``header_timeout``. It never fires into a response in progress.
- **Body pauses.** While a body is arriving, the connection is closed when no byte has
  come for ``body_timeout``, not counting time when we stopped reading (flow control,
  pipelining) or when the client waits for our ``100 Continue``.
- **Connections.** Each connection asks the process's :class:`ConnectionLedger` for a
  seat when it opens and, failing that, when its head is complete; without one the
  request is answered 503 and the connection closed. Past the standing room a new
  connection is closed before it is read.

Refusals are written here, outside the app (no request reached it): a short problem
document, ``Connection: close``. Upgrades are not offered (``ws="none"``), so every
connection stays with this protocol from its first byte to its last.
"""

from __future__ import annotations

import asyncio
import json
from asyncio import TimerHandle
from collections.abc import Callable
from typing import Any

import httptools
from uvicorn._types import ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.server import ServerState

from faceless.security.http_bounds.bounds import ConnectionLedger, RequestBounds
from faceless.security.http_bounds.cycle import ResponseCycle

__all__ = ["BoundedHttp", "BoundedHttpToolsProtocol"]

# " " + " HTTP/1.1\r\n" around the target, and the empty line that ends the head.
_REQUEST_LINE_FRAMING = 12
_HEAD_END = 2
# ": " and "\r\n" around each header value.
_HEADER_FRAMING = 4
# Seconds a closing connection may take to say goodbye (TLS close_notify) before we hang up.
_CLOSE_GRACE = 2.0


def _problem(status: int, title: str, detail: str) -> bytes:
    return json.dumps(
        {"type": "about:blank", "title": title, "status": status, "detail": detail},
        separators=(",", ":"),
    ).encode()


_HEAD_TOO_LARGE = _problem(
    431, "Request Header Fields Too Large", "The request line and headers are too large."
)
_OVER_CAPACITY = _problem(
    503, "Service Unavailable", "The server holds as many connections as it serves; retry later."
)
_REFUSAL_HEADERS = [
    (b"content-type", b"application/problem+json"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"connection", b"close"),
]


class _HeadTooLargeError(Exception):
    """Raised inside a parser callback to stop httptools at a head that is too large."""


async def _over_capacity(
    scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
) -> None:
    headers = [*_REFUSAL_HEADERS, (b"retry-after", b"1")]
    headers.append((b"content-length", str(len(_OVER_CAPACITY)).encode()))
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": _OVER_CAPACITY, "more_body": False})


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """One connection: uvicorn's protocol plus the bounds in the module docstring."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        bounds: RequestBounds,
        ledger: ConnectionLedger,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._bounds = bounds
        self._max_head = bounds.max_header_bytes
        self._ledger = ledger
        self._admitted = False
        self._seated = False
        self._refused = False
        self._lost = False
        # Reading a head (or the gap before one) vs. a body; head bytes fed since it began.
        self._reading_head = True
        self._in_message = False
        self._head_bytes = 0
        self._piece_bytes = 0  # the size of the slice the parser is working on
        # At most this many bytes of the current head came before counting began: a head
        # pipelined behind a message starts mid-slice, after the count was reset.
        self._uncounted = 0
        self._head_timer: TimerHandle | None = None
        self._body_timer: TimerHandle | None = None
        self._close_timer: TimerHandle | None = None
        # A refusal waiting for the responses to earlier pipelined requests to go out.
        self._pending_refusal: Callable[[], None] | None = None
        self._body_active_at = 0.0

    # -- connection ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._admitted = self._ledger.admit()
        if not self._admitted:
            self._refused = True
            transport.abort()  # a flood: not even a TLS goodbye
            return
        self._seated = self._ledger.take_seat()
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._lost = True
        self._head_timer = self._cancel(self._head_timer)
        self._body_timer = self._cancel(self._body_timer)
        self._close_timer = self._cancel(self._close_timer)
        self._leave_seat()
        if self._admitted:
            self._admitted = False
            self._ledger.leave()
        super().connection_lost(exc)

    def _leave_seat(self) -> None:
        if self._seated:
            self._seated = False
            self._ledger.release_seat()

    def _closing(self) -> None:
        """After a last response: the seat is free now, the socket within a grace period.

        A TLS close waits for the peer's close_notify (30 s by default in the event loop);
        a client that never sends it would hold the descriptor that long.
        """
        self._leave_seat()
        if self._lost:
            return
        if not self.transport.is_closing():
            self.transport.close()
        if self._close_timer is None:
            self._close_timer = self.loop.call_later(_CLOSE_GRACE, self.transport.abort)

    def _drop(self) -> None:
        """A client out of time gets no answer and no TLS goodbye."""
        self._leave_seat()
        self.transport.abort()

    # -- bytes in ----------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._unset_keepalive_if_required()
        if not self._reading_head:
            self._body_active_at = self.loop.time()
        try:
            if self._reading_head and self._head_bytes + len(data) >= self._max_head:
                self._feed_in_slices(data)
            else:
                self._feed_piece(data)  # the common case: one call, no copy
        except httptools.HttpParserError:
            if self._refused:
                self._after_earlier_responses(self._send_head_too_large)
            else:
                self._refused = True
                self.logger.warning("Invalid HTTP request received.")
                self._after_earlier_responses(self._send_invalid_request)
            return
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()  # ws="none": served as plain HTTP
            return
        if self._reading_head:
            # A head has begun (or bytes before one came) since the last message: its clock
            # runs. A head that arrived whole never starts a timer at all.
            if self._head_timer is None and (self._in_message or self._head_bytes):
                self._arm_head_timer()
        elif self._body_timer is None:
            self._body_active_at = self.loop.time()
            self._body_timer = self.loop.call_later(self._bounds.body_timeout, self._body_paused)

    def _feed_in_slices(self, data: bytes) -> None:
        """Give ``data`` to the parser without ever letting a head grow past the limit."""
        view = memoryview(data)
        while view:
            piece = view[: self._max_head - self._head_bytes] if self._reading_head else view
            self._feed_piece(piece)
            view = view[len(piece) :]

    def _feed_piece(self, piece: bytes | memoryview) -> None:
        self._piece_bytes = len(piece)
        if self._reading_head:
            self._head_bytes += self._piece_bytes
            if not self._in_message:
                self._uncounted = 0  # no head has begun: the next one is counted whole
        self.parser.feed_data(piece)
        if self._reading_head and self._head_bytes >= self._max_head:
            self._refused = True
            raise httptools.HttpParserError("request head too large")

    # -- parser callbacks --------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_message = True

    def on_headers_complete(self) -> None:
        if self._head_timer is not None:
            self._head_timer = self._cancel(self._head_timer)
        self._reading_head = False
        # Only when the bytes counted and the bytes that may have escaped the count add up
        # to more than the limit is the head itself measured, from its parsed parts.
        limit = self._max_head
        if self._head_bytes + self._uncounted > limit and self._parsed_head_size() > limit:
            self._refused = True
            raise _HeadTooLargeError
        if not self._seated:
            self._seated = self._ledger.take_seat()
            if not self._seated:
                self.app = _over_capacity
        super().on_headers_complete()
        if type(self.cycle) is RequestResponseCycle:
            # uvicorn builds its cycle by name; ours writes each head with its body
            # (cycle.py). The cycle has not run yet: its task starts on a later loop turn.
            self.cycle.__class__ = ResponseCycle

    def on_message_complete(self) -> None:
        super().on_message_complete()
        if self._body_timer is not None:
            self._body_timer = self._cancel(self._body_timer)
        self._reading_head = True
        self._in_message = False
        self._head_bytes = 0
        self._uncounted = self._piece_bytes
        if self.cycle.response_complete and not self.transport.is_closing():
            self._arm_head_timer()  # answered before its body ended: the next head's clock

    def _parsed_head_size(self) -> int:
        size = len(self.parser.get_method()) + len(self.url) + _REQUEST_LINE_FRAMING + _HEAD_END
        for name, value in self.headers:
            size += len(name) + len(value) + _HEADER_FRAMING
        return size

    # -- timers ------------------------------------------------------------------------

    @staticmethod
    def _cancel(timer: TimerHandle | None) -> None:
        if timer is not None:
            timer.cancel()

    def _arm_head_timer(self) -> None:
        self._cancel(self._head_timer)
        self._head_timer = self.loop.call_later(self._bounds.header_timeout, self._head_late)

    def _head_late(self) -> None:
        self._head_timer = None
        if not self._reading_head or self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            self._arm_head_timer()  # a response is still going out: not the client's time
            return
        self._drop()

    def _body_paused(self) -> None:
        self._body_timer = None
        if self._reading_head or self.transport.is_closing():
            return
        now = self.loop.time()
        waiting_for_us = self.flow.read_paused or (
            self.cycle is not None and self.cycle.waiting_for_100_continue
        )
        if waiting_for_us:
            self._body_active_at = now
        idle = now - self._body_active_at
        if idle >= self._bounds.body_timeout:
            self._drop()
            return
        self._body_timer = self.loop.call_later(self._bounds.body_timeout - idle, self._body_paused)

    # -- refusals ----------------------------------------------------------------------

    def _after_earlier_responses(self, refuse: Callable[[], None]) -> None:
        """Answer in order: after the responses to requests pipelined before this one."""
        if self.cycle is None or self.cycle.response_complete:
            refuse()
        else:
            self.flow.pause_reading()
            self._pending_refusal = refuse

    def _send_invalid_request(self) -> None:
        self.send_400_response("Invalid HTTP request received.")

    def _send_head_too_large(self) -> None:
        content = [STATUS_LINE[431]]
        for name, value in [*self.server_state.default_headers, *_REFUSAL_HEADERS]:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend([b"content-length: ", str(len(_HEAD_TOO_LARGE)).encode(), b"\r\n\r\n"])
        content.append(_HEAD_TOO_LARGE)
        self.transport.write(b"".join(content))
        self._closing()

    def send_400_response(self, msg: str) -> None:
        super().send_400_response(msg)
        self._closing()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing():  # `Connection: close`, a 503, a shutdown
            self._closing()
        elif self._pending_refusal is not None and self.cycle.response_complete:
            refuse, self._pending_refusal = self._pending_refusal, None
            refuse()

    def timeout_keep_alive_handler(self) -> None:
        if not self.transport.is_closing():
            self._closing()


class BoundedHttp:
    """What ``faceless serve`` passes as uvicorn's ``http``: a protocol factory.

    uvicorn calls its ``http`` with keyword arguments for every connection, so a factory
    carrying the bounds works where a class would have to read them from a global. One
    instance per process shares one ledger between the listeners it is given to; pickled
    into a worker process (``--workers N``) it starts a ledger of its own there.
    """

    def __init__(self, bounds: RequestBounds) -> None:
        self.bounds = bounds
        self.ledger = ConnectionLedger(
            seats=bounds.max_connections, standing_room=bounds.standing_room
        )

    def __reduce__(self) -> tuple[type[BoundedHttp], tuple[RequestBounds]]:
        return (type(self), (self.bounds,))

    def __call__(
        self,
        *,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> BoundedHttpToolsProtocol:
        return BoundedHttpToolsProtocol(
            config, server_state, app_state, _loop, bounds=self.bounds, ledger=self.ledger
        )
