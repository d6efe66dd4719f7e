"""Real ``faceless serve`` processes for the TLS tests, started together and once.

- ``tls_server``: the default shape (HTTPS + redirect listener), as ``make run`` starts
  it: development mode, its own var dir and SQLite file, free ports on 127.0.0.1; it
  generates its development CA and certificate on start.
- ``proxied_server``: ``--behind-proxy`` with 127.0.0.1 as the trusted proxy.
- ``workers_server``: HTTPS with ``--workers 2`` and ``--redirect-port 0``, on the
  session's Redis (several workers need it: ``faceless serve`` refuses them without).

Start-up (imports, migrations, the first admin's password hash) dominates the run time,
so all three are launched by one session fixture and overlap; each fixture then waits
for its own ports. Every process group is stopped at the end of the session.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from faceless.security.tls.certs import CertPaths
from tests.fixtures import ManagedProcess, RedisServer, free_port
from tests.security.tls.helpers import LocalTlsServer, weak_server_context

FACELESS = str(Path(sys.executable).with_name("faceless"))


def serve_env(var_dir: Path, database: Path, public_url: str) -> dict[str, str | None]:
    return {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(var_dir),
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "PUBLIC_URL": public_url,
        "REDIS_URL": None,
        "TRUSTED_PROXIES": None,
        "TLS_CERT_FILE": None,
        "TLS_KEY_FILE": None,
        "TLS_CA_FILE": None,
        "HSTS_PRELOAD": None,
    }


@dataclass(frozen=True)
class Server:
    process: ManagedProcess
    port: int
    tls: CertPaths
    redirect_port: int = 0

    @property
    def public_url(self) -> str:
        return f"https://localhost:{self.port}"


def _ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


@pytest.fixture(scope="session")
def launched(
    tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer
) -> Iterator[dict[str, Server]]:
    base = tmp_path_factory.mktemp("tls-serve")
    https, redirect, proxied, workers = _ports(4)
    shapes: dict[str, tuple[list[str], str, int, int]] = {
        "tls": (["--port", str(https), "--redirect-port", str(redirect)], "", https, redirect),
        "proxied": (["--behind-proxy", "--port", str(proxied)], "127.0.0.1", proxied, 0),
        "workers": (
            ["--workers", "2", "--redirect-port", "0", "--port", str(workers)],
            "",
            workers,
            0,
        ),
    }
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}
        for name, (args, trusted, port, redirect_port) in shapes.items():
            home = base / name
            env = serve_env(home / "var", home / "t.db", f"https://localhost:{port}")
            if trusted:
                env["TRUSTED_PROXIES"] = trusted
            if name == "workers":
                env["REDIS_URL"] = redis_server.url()
            process = ManagedProcess(
                [FACELESS, "serve", *args], env=env, name=f"serve-{name}", log_dir=home
            )
            stack.enter_context(process)
            servers[name] = Server(process, port, CertPaths(home / "var" / "tls"), redirect_port)
        yield servers


def _ready(server: Server) -> Server:
    server.process.wait_for_port(server.port, timeout=120)
    if server.redirect_port:
        server.process.wait_for_port(server.redirect_port, timeout=10)
    return server


@pytest.fixture(scope="session")
def tls_server(launched: dict[str, Server]) -> Server:
    return _ready(launched["tls"])


@pytest.fixture(scope="session")
def proxied_server(launched: dict[str, Server]) -> Server:
    return _ready(launched["proxied"])


@pytest.fixture(scope="session")
def workers_server(launched: dict[str, Server]) -> Server:
    return _ready(launched["workers"])


@pytest.fixture(scope="session")
def weak_server(tls_server: Server) -> Iterator[LocalTlsServer]:
    """The negative control: TLS 1.0 + CBC, with the very same certificate."""
    context = weak_server_context(tls_server.tls.cert, tls_server.tls.key)
    with LocalTlsServer(context) as server:
        yield server
