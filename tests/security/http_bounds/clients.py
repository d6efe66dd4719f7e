"""Raw HTTP/1.1 clients for the bounds tests: exact bytes, stalls and pipelining.

httpx would complete or retry what these tests must leave half-done, so requests are
written byte for byte on plain or TLS sockets and responses read back with a small
parser (status, headers, a ``Content-Length`` or chunked body).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Listener:
    """One listening port of a ``faceless serve`` process; ``ca`` set means TLS."""

    name: str
    port: int
    ca: Path | None = None

    def connect(self, timeout: float = 30.0) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        if self.ca is None:
            return sock
        context = ssl.create_default_context(cafile=str(self.ca))
        return context.wrap_socket(sock, server_hostname="localhost")


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def request(
    method: str,
    path: str = "/health",
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    *,
    content_length: int | None = None,
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: localhost"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    if body or content_length is not None:
        lines.append(f"Content-Length: {len(body) if content_length is None else content_length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Reader:
    """Responses read one after another from one connection (pipelining included)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _more(self) -> None:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError(f"closed; unread: {self.buffer[:200]!r}")
        self.buffer += data

    def _take_line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            self._more()
        line, self.buffer = self.buffer.split(b"\r\n", 1)
        return line

    def _take(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self._more()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def response(self) -> Response:
        status = int(self._take_line().split(b" ", 2)[1])
        headers: dict[str, str] = {}
        while line := self._take_line():
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding") == "chunked":
            body = b""
            while size := int(self._take_line().split(b";")[0], 16):
                body += self._take(size)
                self._take_line()
            self._take_line()
        else:
            body = self._take(int(headers.get("content-length", "0")))
        return Response(status, headers, body)


def exchange(listener: Listener, data: bytes) -> Response:
    """One request on a fresh connection, its response."""
    with listener.connect() as sock:
        sock.sendall(data)
        return Reader(sock).response()


def refused(listener: Listener, data: bytes) -> Response | None:
    """Send ``data``; the server's answer, or None when it closed without one."""
    with listener.connect() as sock:
        with contextlib.suppress(OSError):  # it may stop reading and close mid-way
            sock.sendall(data)
        try:
            return Reader(sock).response()
        except (ConnectionError, ssl.SSLError):
            return None


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Read until the server closes; (closed in time, what it sent before that)."""
    received = b""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except TimeoutError:
            break
        except (ConnectionError, ssl.SSLError):
            return True, received
        if not data:
            return True, received
        received += data
    return False, received
