"""A TLS listener that also offers TLS 1.0, relaying to a real ``faceless serve``.

The weakened instance "a listener that also offers TLS 1.0" is our own server behind
this relay: everything above TLS is the real service, byte for byte. TLS 1.0 has no
AEAD suite, so the relay also accepts one CBC suite (ECDHE-ECDSA-AES128-SHA); groups
stay at P-256 and the certificate is the instance's own.
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import ssl
import threading
import warnings
from pathlib import Path

from tests.security.tls.helpers import ServerThread

TLS10_CIPHERS = (
    "ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:@SECLEVEL=0"
)


def tls10_context(cert: Path, key: Path) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
    ctx.set_ciphers(TLS10_CIPHERS)
    ctx.set_ecdh_curve("prime256v1")
    ctx.load_cert_chain(cert, key)
    return ctx


def _pump(source: ssl.SSLSocket, sink: ssl.SSLSocket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


class _Handler(socketserver.BaseRequestHandler):
    server: _RelayServer

    def handle(self) -> None:
        self.request.settimeout(10)
        with (
            contextlib.suppress(OSError),
            self.server.front.wrap_socket(self.request, server_side=True) as front,
        ):
            raw = socket.create_connection(("127.0.0.1", self.server.backend_port), timeout=10)
            with self.server.back.wrap_socket(raw, server_hostname="localhost") as back:
                upstream = threading.Thread(target=_pump, args=(front, back), daemon=True)
                upstream.start()
                _pump(back, front)
                upstream.join(timeout=10)


class _RelayServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, front: ssl.SSLContext, back: ssl.SSLContext, backend_port: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.front, self.back, self.backend_port = front, back, backend_port

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # scanners abort handshakes on purpose


class Tls10Relay(ServerThread):
    """``with Tls10Relay(cert, key, ca, backend_port) as relay:`` serves on ``relay.port``."""

    def __init__(self, cert: Path, key: Path, ca: Path, backend_port: int) -> None:
        back = ssl.create_default_context(cafile=str(ca))
        super().__init__(_RelayServer(tls10_context(cert, key), back, backend_port))
