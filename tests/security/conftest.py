"""Fixtures for the edge-defence tests: the app with *real* limits, clients from any IP.

The suite-wide ``client`` fixture raises every rate-limit tier so functional tests
can sign in freely; these tests need the real tiers (or deliberately small ones),
so they build their own settings and app. ``EdgeApp.client(ip)`` gives an httpx
client whose requests arrive from ``ip`` as the socket peer, which is how the proxy
layer, the limiter and the audit trail see a client.
"""

from __future__ import annotations

import itertools
import shutil
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from faceless.app import create_app
from faceless.models import Role
from faceless.runtime.container import Runtime, build_runtime
from faceless.settings import (
    AuthSettings,
    HttpSettings,
    RedisSettings,
    SecuritySettings,
    Settings,
)
from tests.conftest import BASE_URL, PASSWORD, create_account, make_settings


def edge_settings(
    tmp_path: Path,
    database_url: str,
    *,
    rate_limits: Sequence[str] = (),
    trusted_proxies: Sequence[str] = (),
    allowed_hosts: Sequence[str] | None = None,
    cors_origins: Sequence[str] = (),
    max_json_bytes: int = 1024 * 1024,
    max_upload_bytes: int = 25 * 1024 * 1024,
    max_concurrent_hashes: int = 2,
) -> Settings:
    """The test settings with the *real* default tiers unless ``rate_limits`` overrides some."""
    base = make_settings(tmp_path, database_url)
    http: dict[str, Any] = {
        "public_url": "https://localhost:8443",
        "trusted_proxies": list(trusted_proxies),
        "cors_origins": list(cors_origins),
        "max_json_bytes": max_json_bytes,
        "max_upload_bytes": max_upload_bytes,
    }
    if allowed_hosts is not None:
        http["allowed_hosts"] = list(allowed_hosts)
    return base.model_copy(
        update={
            "security": SecuritySettings(rate_limits=list(rate_limits)),
            "http": HttpSettings(**http),
            "auth": AuthSettings(max_concurrent_hashes=max_concurrent_hashes),
            # In-memory limits: never a REDIS_URL that happens to be in the environment.
            "redis": RedisSettings(url=None),
        }
    )


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A private copy of the migrated SQLite template (for tests not about the backend)."""
    path = tmp_path / "edge.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite+aiosqlite:///{path}"


class EdgeApp:
    """One app instance; clients can be created for any peer address."""

    def __init__(self, services: Runtime, app: FastAPI) -> None:
        self.services = services
        self.app = app
        self._clients: list[httpx.AsyncClient] = []
        self._spare_ips = (f"192.0.2.{n}" for n in itertools.count(1))

    def client(
        self, ip: str = "127.0.0.1", *, base_url: str = BASE_URL, raise_app_exceptions: bool = True
    ) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(
            app=self.app, client=(ip, 40000), raise_app_exceptions=raise_app_exceptions
        )
        http = httpx.AsyncClient(transport=transport, base_url=base_url)
        self._clients.append(http)
        return http

    async def create_user(self, username: str, role: Role = Role.EDITOR) -> uuid.UUID:
        return await create_account(self.services, username, role)

    async def token(self, username: str, *, ip: str | None = None) -> str:
        """Sign in over HTTP from a fresh address, so no test's login budget is spent."""
        http = self.client(ip or next(self._spare_ips))
        response = await http.post(
            "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token

    async def bearer(self, username: str, role: Role = Role.EDITOR) -> dict[str, str]:
        await self.create_user(username, role)
        return {"Authorization": f"Bearer {await self.token(username)}"}

    async def aclose(self) -> None:
        for http in self._clients:
            await http.aclose()


@asynccontextmanager
async def edge_app(settings: Settings) -> AsyncIterator[EdgeApp]:
    """The app with its lifespan running (embedded worker included)."""
    services = build_runtime(settings)
    app = create_app(settings, runtime=services)
    edge = EdgeApp(services, app)
    try:
        async with app.router.lifespan_context(app):
            yield edge
    finally:
        await edge.aclose()
        await services.close()
