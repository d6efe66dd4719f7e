"""``GET /health/ready`` asks each backend at most once per 5 s per process.

Readiness is anonymous; without the cache every request made live calls to Vault (or
AWS), the database and the broker. Counted where the calls land: the HTTP requests
that reach a real OpenBao (through a counting relay in front of it) and the statements
the database engine sends. The cache's clock is a test clock, so "5 s later" needs no
sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from faceless.health.service import CACHE_SECONDS, ReadinessCache
from faceless.runtime.container import Runtime
from faceless.settings import SecretsSettings, VaultSettings
from tests.conftest import make_settings, running_app
from tests.fixtures.counting_proxy import CountingProxy
from tests.fixtures.openbao import OpenBaoServer
from tests.secrets.test_manager import write_secret

CAPABILITIES = "/v1/sys/capabilities-self"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        yield server


@pytest.fixture
async def vault_app(
    tmp_path: Path, sqlite_url: str, bao: OpenBaoServer
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient, CountingProxy]]:
    secrets_dir = tmp_path / "secrets"
    write_secret(secrets_dir, "VAULT_TOKEN", bao.root_token)
    with CountingProxy("127.0.0.1", bao.port) as relay:
        settings = make_settings(tmp_path, sqlite_url).model_copy(
            update={
                "secrets": SecretsSettings(backends=["vault", "files"], directory=secrets_dir),
                "vault": VaultSettings(addr=relay.url, path="faceless-ready", timeout_seconds=1.0),
            }
        )
        async with running_app(settings) as (services, client):
            yield services, client, relay


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    path = tmp_path / "ready.db"
    path.write_bytes(sqlite_template.read_bytes())
    return f"sqlite+aiosqlite:///{path}"


async def test_a_burst_of_readiness_requests_asks_each_backend_once(
    vault_app: tuple[Runtime, httpx.AsyncClient, CountingProxy],
) -> None:
    services, client, relay = vault_app
    clock = Clock()
    services.readiness_cache = ReadinessCache(clock=clock)
    pings: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if statement.strip().upper() == "SELECT 1":
            pings.append(statement)

    event.listen(services.engine.sync_engine, "before_cursor_execute", count)
    try:
        before = relay.count(CAPABILITIES)
        burst = await asyncio.gather(*(client.get("/health/ready") for _ in range(50)))
        for _ in range(20):
            burst.append(await client.get("/health/ready"))
        assert {r.status_code for r in burst} == {200}
        assert {r.json()["checks"]["secrets"] for r in burst} == {"ok"}
        assert relay.count(CAPABILITIES) - before == 1
        assert len(pings) == 1
        # Just before the period ends: still the cached answer. At its end: one new probe.
        clock.now += CACHE_SECONDS - 1
        assert (await client.get("/health/ready")).status_code == 200
        assert relay.count(CAPABILITIES) - before == 1
        clock.now += 1
        await asyncio.gather(*(client.get("/health/ready") for _ in range(10)))
        assert relay.count(CAPABILITIES) - before == 2
        assert len(pings) == 2
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", count)


async def test_a_failure_is_cached_too_and_then_seen_to_recover(
    vault_app: tuple[Runtime, httpx.AsyncClient, CountingProxy], bao: OpenBaoServer
) -> None:
    services, client, _relay = vault_app
    clock = Clock()
    services.readiness_cache = ReadinessCache(clock=clock)
    bao.pause()
    try:
        first = await client.get("/health/ready")
        assert first.status_code == 503
        assert first.json()["checks"]["secrets"] != "ok"
    finally:
        bao.resume()
    # Within the period the cached failure is the answer, though Vault is back.
    assert (await client.get("/health/ready")).status_code == 503
    clock.now += CACHE_SECONDS
    assert (await client.get("/health/ready")).status_code == 200


async def test_a_client_that_leaves_does_not_cancel_the_shared_probe() -> None:
    cache = ReadinessCache(clock=Clock())
    calls = 0
    release = asyncio.Event()

    async def probe() -> str:
        nonlocal calls
        calls += 1
        await release.wait()
        return "ok"

    impatient = asyncio.create_task(cache.answer("vault", probe))
    await asyncio.sleep(0)
    patient = asyncio.create_task(cache.answer("vault", probe))
    await asyncio.sleep(0)
    impatient.cancel()
    release.set()
    assert await patient == "ok"
    assert calls == 1
