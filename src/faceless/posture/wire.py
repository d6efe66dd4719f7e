"""One small HTTP/1.1 client for every probe: exact bytes out, exactly what came back.

Why not a full client library: half the probes send what a well-behaved client never
would (two ``Host`` headers, a 17 KiB head, ``TRACE``, a path starting ``//``) and must
see the server's answer, or its silence, unaltered. So requests are written by hand,
one connection each (``Connection: close``), and the answer is parsed just enough:
status line, header lines in order (duplicates kept), and a body bounded in size.

Bounds: every request counts against ``budget`` and one over it raises; connect and
read timeouts are short; a host outside ``allowed_hosts`` is never contacted, so the
caller can record a redirect elsewhere but cannot follow it.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

USER_AGENT = "faceless-security-check/1"
MAX_BODY_BYTES = 512 * 1024
MAX_HEAD_BYTES = 64 * 1024


class WireError(Exception):
    """The exchange did not produce an HTTP answer (no connection, no bytes, timeout)."""


class CertificateError(WireError):
    """A verifying TLS handshake failed on the certificate (trust, name or dates)."""


class OffTargetError(WireError):
    """A request to a host that is not the target's: refused before any connection."""


class BudgetExceededError(WireError):
    """The run's request budget is spent (a server looping redirects on itself)."""


@dataclass(frozen=True, slots=True)
class Response:
    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    local_address: str

    def all(self, name: str) -> list[str]:
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass(slots=True)
class Wire:
    allowed_hosts: frozenset[str]
    ca_file: Path | None = None
    # Typically about 35; the worst case is a target that redirects to itself forever.
    budget: int = 128
    connect_timeout: float = 3.0
    read_timeout: float = 5.0
    sent: int = 0
    log: list[Response] = field(default_factory=list)  # every answer, in order
    _contexts: dict[bool, ssl.SSLContext] = field(default_factory=dict)

    def context(self, *, verify: bool) -> ssl.SSLContext:
        if verify not in self._contexts:
            ctx = ssl.create_default_context()
            if verify:
                if self.ca_file is not None:
                    ctx.load_verify_locations(self.ca_file)
            else:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            self._contexts[verify] = ctx
        return self._contexts[verify]

    def request(
        self,
        url: str,
        method: str = "GET",
        *,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        verify: bool = False,
        host_header: bool = True,
        timeout: float | None = None,
    ) -> Response:
        """Send one request to ``url`` (path and query as given, byte for byte)."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        if host not in self.allowed_hosts:
            raise OffTargetError(f"{host} is not the target")
        if self.sent >= self.budget:
            raise BudgetExceededError(f"the request budget ({self.budget}) is spent")
        self.sent += 1
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"{method} {target} HTTP/1.1"]
        if host_header:
            lines.append(f"Host: {parts.netloc.rpartition('@')[2]}")
        lines += [f"{name}: {value}" for name, value in headers or []]
        names = {name.lower() for name, _ in headers or []}
        for name, value in (
            ("User-Agent", USER_AGENT),
            ("Accept", "*/*"),
            ("Connection", "close"),
        ):
            if name.lower() not in names:
                lines.append(f"{name}: {value}")
        if body and "content-length" not in names:
            lines.append(f"Content-Length: {len(body)}")
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        return self._exchange(parts.scheme, host, parts.port, raw, method, url, verify, timeout)

    def _exchange(
        self,
        scheme: str,
        host: str,
        port: int | None,
        raw: bytes,
        method: str,
        url: str,
        verify: bool,
        timeout: float | None,
    ) -> Response:
        port = port or (443 if scheme == "https" else 80)
        try:
            sock = socket.create_connection((host, port), timeout=self.connect_timeout)
        except OSError as exc:
            raise WireError(f"cannot connect to {host}:{port} ({exc.strerror or exc})") from None
        with contextlib.ExitStack() as stack:
            stack.enter_context(sock)
            if scheme == "https":
                sock = self._wrap(sock, host, verify)
                stack.enter_context(sock)
            sock.settimeout(timeout or self.read_timeout)
            local = sock.getsockname()[0]
            with contextlib.suppress(OSError):  # an early answer may close before we finish
                sock.sendall(raw)
            status, head, rest = _read_head(sock)
            body = b"" if method == "HEAD" or status in (204, 304) else _read_body(sock, head, rest)
            response = Response(url, status, head, body, str(local))
            self.log.append(response)
            return response

    def _wrap(self, sock: socket.socket, host: str, verify: bool) -> ssl.SSLSocket:
        server_name = None if _is_ip(host) else host
        try:
            return self.context(verify=verify).wrap_socket(sock, server_hostname=server_name)
        except ssl.SSLCertVerificationError as exc:
            raise CertificateError(exc.verify_message or str(exc)) from None
        except (ssl.SSLError, OSError) as exc:
            raise WireError(f"TLS handshake failed ({exc})") from None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _recv(sock: socket.socket) -> bytes:
    try:
        return sock.recv(65536)
    except TimeoutError:
        raise WireError("no answer before the read timeout") from None
    except (ConnectionError, ssl.SSLError) as exc:
        raise WireError(f"connection closed ({exc.__class__.__name__})") from None


def _read_head(sock: socket.socket) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    data = b""
    while True:
        while b"\r\n\r\n" not in data:
            chunk = _recv(sock)
            if not chunk:
                raise WireError("connection closed without an answer")
            data += chunk
            if len(data) > MAX_HEAD_BYTES:
                raise WireError("answer head too large")
        head, _, rest = data.partition(b"\r\n\r\n")
        status, headers = _parse_head(head)
        if 100 <= status < 200:  # 100 Continue and friends: the real answer follows
            data = rest
            continue
        return status, headers, rest


def _parse_head(head: bytes) -> tuple[int, tuple[tuple[str, str], ...]]:
    status_line, *lines = head.decode("latin-1").split("\r\n")
    fields = status_line.split(" ", 2)
    if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
        raise WireError(f"not an HTTP answer: {status_line[:60]!r}")
    headers = []
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return int(fields[1]), tuple(headers)


def _read_body(sock: socket.socket, headers: tuple[tuple[str, str], ...], data: bytes) -> bytes:
    fields = {name.lower(): value for name, value in headers}
    if "chunked" in fields.get("transfer-encoding", "").lower():
        return _read_chunked(sock, data)
    length = fields.get("content-length")
    if length is None or not length.isdigit():
        return _read_to_close(sock, data)
    wanted = min(int(length), MAX_BODY_BYTES)
    while len(data) < wanted:
        chunk = _recv(sock)
        if not chunk:
            raise WireError(f"the body ended after {len(data)} of {length} bytes")
        data += chunk
    return data[:wanted]


def _read_to_close(sock: socket.socket, data: bytes) -> bytes:
    while len(data) < MAX_BODY_BYTES:
        try:
            chunk = _recv(sock)
        except WireError:
            break
        if not chunk:
            break
        data += chunk
    return data[:MAX_BODY_BYTES]


def _read_chunked(sock: socket.socket, data: bytes) -> bytes:
    body = b""
    while len(body) < MAX_BODY_BYTES:
        while b"\r\n" not in data:
            chunk = _recv(sock)
            if not chunk:
                return body
            data += chunk
        size_line, _, data = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            return body
        while len(data) < size + 2:
            chunk = _recv(sock)
            if not chunk:
                return body + data
            data += chunk
        body += data[:size]
        data = data[size + 2 :]
    return body[:MAX_BODY_BYTES]
