"""The response half of a request: uvicorn's cycle, writing each head once, with its body.

uvicorn's ``RequestResponseCycle.send`` writes the status line and headers when the app
sends ``http.response.start`` and the body when it sends ``http.response.body``: two
``send`` system calls and two TCP segments for nearly every response, whose body is
ready at once. Profiled under load (issue 11), the head's write was the most expensive
line of a ``/health`` answer, and checking each of its ~17 headers against uvicorn's
two patterns the next (every response carries the same dozen security headers).

:class:`ResponseCycle` is that cycle with its ``send`` rewritten (ADR 0027):

- The head is held until the first body bytes and both leave in one write; a response
  with no body bytes (``HEAD``, 204, 304) writes its head when the app says the body is
  complete. ``100 Continue`` (written by ``receive``) is never held.
- A header line is checked and encoded once per distinct (name, value): the dozen
  constant lines of every response are a cache hit; a bounded LRU keeps the per-request
  ones (request id, length) from crowding them out.

Everything else is uvicorn's, in the same order and with the same errors: the bytes on
the wire are those uvicorn would write, framing (``Content-Length``, chunked, ``HEAD``)
and ``Connection: close`` included.
"""

from __future__ import annotations

from functools import lru_cache

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    RequestResponseCycle,
)
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

__all__ = ["ResponseCycle"]

# Above this, a first body chunk is written after the head rather than copied onto it.
_MERGE_LIMIT = 64 * 1024
# What a header line means to the framing (uvicorn's checks, by lower-cased name).
_PLAIN, _LENGTH, _ENCODING, _CONNECTION = range(4)
_KINDS = {b"content-length": _LENGTH, b"transfer-encoding": _ENCODING, b"connection": _CONNECTION}


@lru_cache(maxsize=1024)
def _header_line(name: bytes, value: bytes) -> tuple[bytes, int]:
    """``name: value\\r\\n`` with the name lower-cased, and its kind; raises as uvicorn does."""
    if HEADER_RE.search(name):
        raise RuntimeError("Invalid HTTP header name.")
    if HEADER_VALUE_RE.search(value):
        raise RuntimeError("Invalid HTTP header value.")
    name = name.lower()
    return b"".join((name, b": ", value, b"\r\n")), _KINDS.get(name, _PLAIN)


def _tokens(value: bytes) -> list[bytes]:
    return [token.lower().strip() for token in value.split(b",")]


class ResponseCycle(RequestResponseCycle):
    """One request's cycle; the protocol turns uvicorn's cycle into this one."""

    # The head, built and held until the body's first bytes (or its end).
    _held: bytes | None = None

    async def send(self, message: ASGISendEvent) -> None:
        if self.flow.write_paused and not self.disconnected:
            await self.flow.drain()
        if self.disconnected:
            return
        if not self.response_started:
            if message["type"] != "http.response.start":
                raise RuntimeError(
                    f"Expected ASGI message 'http.response.start', but got '{message['type']}'."
                )
            self._held = self._head(message["status"], message.get("headers", ()))
        elif not self.response_complete:
            if message["type"] != "http.response.body":
                raise RuntimeError(
                    f"Expected ASGI message 'http.response.body', but got '{message['type']}'."
                )
            self._body(message.get("body", b""), message.get("more_body", False))
        else:
            raise RuntimeError(
                f"Unexpected ASGI message '{message['type']}' sent, after response already"
                " completed."
            )

    def _head(self, status: int, app_headers: object) -> bytes:
        # As uvicorn: the response counts as started even if a header is then refused
        # (the cycle closes the connection instead of answering 500).
        self.response_started = True
        self.waiting_for_100_continue = False
        if self.access_log:
            self.access_logger.info(
                '%s - "%s %s HTTP/%s" %d',
                get_client_addr(self.scope),
                self.scope["method"],
                get_path_with_query_string(self.scope),
                self.scope["http_version"],
                status,
            )
        lines = [STATUS_LINE[status]]
        has_connection_close = False
        for name, value in [*self.default_headers, *app_headers]:  # type: ignore[misc]
            line, kind = _header_line(bytes(name), bytes(value))
            if kind == _LENGTH and self.chunked_encoding is None:
                self.expected_content_length = int(value.decode())
                self.chunked_encoding = False
            elif kind == _ENCODING and value.lower() == b"chunked":
                self.expected_content_length = 0
                self.chunked_encoding = True
            elif kind == _CONNECTION and b"close" in _tokens(value):
                self.keep_alive = False
                has_connection_close = True
            lines.append(line)
        if not self.keep_alive and not has_connection_close:
            lines.append(b"connection: close\r\n")
        if (
            self.chunked_encoding is None
            and self.scope["method"] != "HEAD"
            and status not in (204, 304)
        ):
            self.chunked_encoding = True  # neither a length nor an encoding given
            lines.append(b"transfer-encoding: chunked\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    def _body(self, body: bytes, more_body: bool) -> None:
        if self.scope["method"] == "HEAD":
            self.expected_content_length = 0
            self._write(b"")
        elif self.chunked_encoding:
            data = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
            self._write(data if more_body else data + b"0\r\n\r\n")
        else:
            if len(body) > self.expected_content_length:
                self._write(b"")  # the head had gone out before uvicorn's check
                raise RuntimeError("Response content longer than Content-Length")
            self.expected_content_length -= len(body)
            self._write(body)
        if not more_body:
            if self.expected_content_length != 0:
                raise RuntimeError("Response content shorter than Content-Length")
            self.response_complete = True
            self.message_event.set()
            if not self.keep_alive:
                self.transport.close()
            self.on_response()

    def _write(self, data: bytes) -> None:
        held, self._held = self._held, None
        if held is None:
            if data:
                self.transport.write(data)
        elif len(data) <= _MERGE_LIMIT:
            self.transport.write(held + data)
        else:
            self.transport.write(held)
            self.transport.write(data)
