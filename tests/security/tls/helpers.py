"""Client contexts with pinned versions/groups, and a deliberately permissive TLS listener.

The permissive listener is the control group: the same client that the app refuses
must succeed against it, so a refusal is known to be the server's doing and not the
client's (OpenSSL 3 will not even offer TLS 1.0 without ``@SECLEVEL=0``).
"""

from __future__ import annotations

import contextlib
import re
import shutil
import socket
import socketserver
import ssl
import subprocess
import threading
import warnings
from pathlib import Path
from types import TracebackType
from typing import Self


def client_context(
    ca_file: Path | None,
    *,
    version: ssl.TLSVersion | None = None,
    ciphers: str | None = None,
    group: str | None = None,
) -> ssl.SSLContext:
    """A client context trusting ``ca_file``; ``version`` pins min and max."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file is None:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    else:
        ctx.load_verify_locations(ca_file)
    if version is not None:
        with warnings.catch_warnings():
            # Python deprecates TLS 1.0/1.1 constants; offering them is the point here.
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = version
            ctx.maximum_version = version
        if version < ssl.TLSVersion.TLSv1_2:
            # OpenSSL 3's default security level forbids SHA-1 handshake signatures.
            ctx.set_ciphers(ciphers or "DEFAULT:@SECLEVEL=0")
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    if group is not None:
        ctx.set_ecdh_curve(group)  # on a client: the one group it offers
    return ctx


def handshake(
    ctx: ssl.SSLContext, port: int, *, server_hostname: str = "localhost", host: str = "127.0.0.1"
) -> tuple[str, str, ssl.SSLSession | None]:
    """Connect, handshake, send a request; returns (version, cipher, session)."""
    with (
        socket.create_connection((host, port), timeout=5) as raw,
        ctx.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        version = tls.version()
        cipher = tls.cipher()
        assert version is not None and cipher is not None
        tls.sendall(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        with contextlib.suppress(OSError):
            while tls.recv(4096):  # read to the end: TLS 1.3 tickets arrive after the handshake
                pass
        return version, cipher[0], tls.session


def openssl_temp_key(port: int, *, groups: str, version_flag: str = "-tls1_2") -> str | None:
    """The key-exchange group the server picked (``openssl s_client``'s "Server Temp Key").

    Python cannot show the negotiated group, and under TLS 1.2 a client offering only
    one group that is not the certificate's curve fails for an unrelated reason (the
    list also names the curves it accepts for ECDSA certificates), so TLS 1.2 group
    choice is observed with s_client offering several groups, preferred first.
    """
    openssl = shutil.which("openssl")
    assert openssl, "the openssl command-line tool is needed (apt-get install openssl)"
    out = subprocess.run(
        [openssl, "s_client", "-connect", f"127.0.0.1:{port}", version_flag, "-groups", groups],
        input=b"",
        capture_output=True,
        timeout=10,
        check=False,
    ).stdout.decode()
    match = re.search(r"^Server Temp Key: (?:ECDH, )?([^,]+),", out, re.MULTILINE)
    return match.group(1) if match else None


def weak_server_context(cert_file: Path, key_file: Path) -> ssl.SSLContext:
    """TLS 1.0 and up, CBC suites allowed, OpenSSL's default groups: what we must not be."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:@SECLEVEL=0")
    ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE  # like the app: the client's order wins
    ctx.load_cert_chain(cert_file, key_file)
    return ctx


class _Handler(socketserver.BaseRequestHandler):
    server: _TlsTCPServer

    def handle(self) -> None:
        self.request.settimeout(5)
        with self.server.context.wrap_socket(self.request, server_side=True) as tls:
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = tls.recv(4096)
                if not chunk:
                    return
                data += chunk
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")


class _TlsTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.context = context

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # scanners hang up mid-handshake on purpose; that is not news


class ServerThread:
    """A ``socketserver`` server run on a daemon thread; a context manager."""

    def __init__(self, server: socketserver.BaseServer) -> None:
        self._server = server
        address = server.server_address
        assert isinstance(address, tuple)  # an internet socket's (host, port, ...)
        self.port: int = address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class LocalTlsServer(ServerThread):
    """A threaded TLS server on 127.0.0.1 answering ``200 ok``; a context manager."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(_TlsTCPServer(context))
