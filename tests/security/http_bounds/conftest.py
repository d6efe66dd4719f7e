"""Real ``faceless serve`` processes with short bounds, started together once per session.

- ``bounded``: the default shape (HTTPS + the plain-HTTP redirect listener, one process);
- ``proxied``: ``--behind-proxy`` (plain HTTP);
- ``clamped``: ``--behind-proxy`` under ``prlimit --nofile=200:200`` with the default
  ``MAX_CONNECTIONS`` (1000), which the open-file limit must cap at 200 - 128 = 72.

The first two run with ``HEADER_TIMEOUT_SECONDS=2``, ``BODY_TIMEOUT_SECONDS=2`` and
``MAX_CONNECTIONS=60`` so the tests see every bound within seconds; the login and
default rate limits are raised out of the way (they are not under test here).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.fixtures import ManagedProcess, free_port
from tests.security.http_bounds.clients import Listener
from tests.security.tls.conftest import FACELESS, serve_env

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 2.0
MAX_CONNECTIONS = 60
CLAMPED_OPEN_FILES = 200
CLAMPED_CONNECTIONS = CLAMPED_OPEN_FILES - 128

BOUNDS_ENV = {
    "HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
    "BODY_TIMEOUT_SECONDS": str(BODY_TIMEOUT),
    "MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    "MAX_HEADER_BYTES": None,
    "RATE_LIMITS": "login=100000/minute,default=100000/minute",
}


@dataclass(frozen=True)
class BoundedServer:
    process: ManagedProcess
    listeners: tuple[Listener, ...]

    def listener(self, name: str) -> Listener:
        return next(entry for entry in self.listeners if entry.name == name)

    def ready(self) -> BoundedServer:
        for entry in self.listeners:
            self.process.wait_for_port(entry.port, timeout=120)
        return self


def _ports(count: int) -> list[int]:
    ports: set[int] = set()
    while len(ports) < count:
        ports.add(free_port())
    return list(ports)


@pytest.fixture(scope="session")
def bounded_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, BoundedServer]]:
    base = tmp_path_factory.mktemp("bounds-serve")
    https, redirect, proxied, clamped = _ports(4)
    tls_dir = base / "bounded" / "var" / "tls"
    shapes = {
        "bounded": (
            ["--port", str(https), "--redirect-port", str(redirect)],
            BOUNDS_ENV,
            (Listener("tls", https, tls_dir / "ca.pem"), Listener("redirect", redirect)),
        ),
        "proxied": (
            ["--behind-proxy", "--port", str(proxied)],
            BOUNDS_ENV,
            (Listener("proxied", proxied),),
        ),
        "clamped": (
            ["--behind-proxy", "--port", str(clamped)],
            {**BOUNDS_ENV, "MAX_CONNECTIONS": None},
            (Listener("clamped", clamped),),
        ),
    }
    with contextlib.ExitStack() as stack:
        servers: dict[str, BoundedServer] = {}
        for name, (args, bounds_env, listeners) in shapes.items():
            home = base / name
            env = {
                **serve_env(home / "var", home / "t.db", f"https://localhost:{listeners[0].port}")
            }
            env.update(bounds_env)
            argv = [FACELESS, "serve", *args]
            if name == "clamped":
                argv = [
                    "prlimit",
                    f"--nofile={CLAMPED_OPEN_FILES}:{CLAMPED_OPEN_FILES}",
                    "--",
                    *argv,
                ]
            process = ManagedProcess(argv, env=env, name=f"serve-{name}", log_dir=home)
            stack.enter_context(process)
            servers[name] = BoundedServer(process, listeners)
        yield servers


@pytest.fixture(scope="session")
def bounded(bounded_servers: dict[str, BoundedServer]) -> BoundedServer:
    return bounded_servers["bounded"].ready()


@pytest.fixture(scope="session")
def proxied(bounded_servers: dict[str, BoundedServer]) -> BoundedServer:
    return bounded_servers["proxied"].ready()


@pytest.fixture(scope="session")
def clamped(bounded_servers: dict[str, BoundedServer]) -> BoundedServer:
    return bounded_servers["clamped"].ready()


@pytest.fixture(params=["tls", "redirect", "proxied"])
def listener(
    request: pytest.FixtureRequest, bounded: BoundedServer, proxied: BoundedServer
) -> Listener:
    """Each of the three listener shapes in turn."""
    server = proxied if request.param == "proxied" else bounded
    return server.listener(request.param)


@pytest.fixture(params=["tls", "proxied"])
def app_listener(
    request: pytest.FixtureRequest, bounded: BoundedServer, proxied: BoundedServer
) -> Listener:
    """The listeners that hand requests (and their bodies) to the API."""
    server = proxied if request.param == "proxied" else bounded
    return server.listener(request.param)
