"""The limiter across real processes: four ``faceless serve`` sharing one real Redis.

Production shape: PostgreSQL (migrated first), Redis for the limits, four API
processes on four ports, requests spread over them round-robin. Proven here:

- 200 concurrent logins from one IP give exactly 5 non-429 answers (one atomic
  script per check, so no interleaving lets a sixth through), and a user's
  60/minute budget is exact across processes too;
- Redis stopped: login and refresh fail closed (503 + ``Retry-After``), the other
  tiers fail open (a token still lists videos), never a 500, probes unaffected;
- Redis frozen (SIGSTOP): the same, within about the 1 s client timeout;
- after either, the limiter works again by itself.

Distinct client IPs come from distinct loopback source addresses (127.0.0.x), as
the processes trust no proxy.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx
import pytest
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.fixtures import ManagedProcess, PostgresCluster, RedisServer, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

FACELESS = str(Path(sys.executable).with_name("faceless"))
REDIS_DB = 11
LOGIN = "/api/v1/auth/login"

T = TypeVar("T")


@dataclass
class Cluster:
    urls: list[str]
    admin_password: str
    processes: list[ManagedProcess]
    redis: RedisServer

    def output(self) -> str:
        return "\n".join(p.output() for p in self.processes)

    def report(self) -> str:
        """Each process: running or its exit code, and the end of what it printed."""
        return "\n".join(
            f"--- {p.name} (pid {p.pid}, exit code {p.returncode}):\n{p.output()[-3000:]}"
            for p in self.processes
        )


@pytest.fixture(scope="module")
def cluster(
    pg_cluster: PostgresCluster, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Cluster]:
    database = "rl_" + uuid.uuid4().hex[:10]
    pg_cluster.create_database(database)
    var_dir = tmp_path_factory.mktemp("rl-var")
    ports = [free_port() for _ in range(4)]
    env: dict[str, str | None] = {
        "FACELESS_ENV": "development",
        "DATABASE_URL": pg_cluster.dsn(database),
        "REDIS_URL": redis_server.url(REDIS_DB),
        "REDIS_SOCKET_TIMEOUT": "1",
        "FACELESS_VAR_DIR": str(var_dir),  # shared: one set of dev secrets for all four
        "PUBLIC_URL": "https://localhost:8443",
        "RATE_LIMITS": None,
        "TRUSTED_PROXIES": None,
        "DATABASE_POOL_SIZE": "4",
    }
    subprocess.run(
        [FACELESS, "migrate"],
        env={k: v for k, v in {**os.environ, **env}.items() if v is not None},
        check=True,
        timeout=120,
        capture_output=True,
    )
    with redis_server.client(REDIS_DB, retry=Retry(NoBackoff(), 0)) as client:
        client.flushdb()
    processes = [
        ManagedProcess(
            [FACELESS, "serve", "--behind-proxy", "--port", str(port)],
            env=env,
            name=f"api-{n}",
            log_dir=var_dir,
        )
        for n, port in enumerate(ports)
    ]
    try:
        # The first one bootstraps the admin and the dev secrets; the others find both.
        first = processes[0].start()
        match = first.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=60)
        first.wait_for_port(ports[0], timeout=60)
        for process in processes[1:]:
            process.start()
        for process, port in zip(processes[1:], ports[1:], strict=True):
            process.wait_for_port(port, timeout=60)
        yield Cluster(
            [f"http://127.0.0.1:{port}" for port in ports],
            match.group(1),
            processes,
            redis_server,
        )
    finally:
        for process in processes:
            process.stop()
        if not redis_server.is_running():
            redis_server.start()
        pg_cluster.drop_database(database)


@pytest.fixture
async def clients(cluster: Cluster) -> AsyncIterator[dict[str, list[httpx.AsyncClient]]]:
    """Per source address, one client per process."""
    made: dict[str, list[httpx.AsyncClient]] = {}
    # uvicorn closes a connection idle for 5 s, httpx keeps one 5 s by default: a request
    # sent in that last instant would meet the close (nginx's keep-alive is below 5 s too).
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100, keepalive_expiry=2)
    for n in range(1, 9):
        address = f"127.0.0.{n}"
        made[address] = [
            httpx.AsyncClient(
                base_url=url,
                timeout=15,
                limits=limits,
                transport=httpx.AsyncHTTPTransport(local_address=address, limits=limits),
            )
            for url in cluster.urls
        ]
    try:
        yield made
    finally:
        for group in made.values():
            for http in group:
                await http.aclose()


def bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def admin_tokens(cluster: Cluster, http: httpx.AsyncClient) -> dict[str, str]:
    """The admin's access and refresh tokens, signed in through ``http``."""
    response = await http.post(
        LOGIN, json={"username": "admin", "password": cluster.admin_password}
    )
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


async def admin_token(cluster: Cluster, http: httpx.AsyncClient) -> dict[str, str]:
    return bearer(await admin_tokens(cluster, http))


async def answers(cluster: Cluster, requests: Iterable[Awaitable[T]]) -> list[T]:
    """Every request's outcome; a connection that ended unanswered fails with the servers' logs.

    A bare ``gather`` would raise the first transport error alone, without saying which
    process dropped the connection or what it logged.
    """
    outcomes = await asyncio.gather(*requests, return_exceptions=True)
    errors = [o for o in outcomes if isinstance(o, BaseException)]
    if errors:
        pytest.fail(
            f"{len(errors)} of {len(outcomes)} requests got no answer, e.g. {errors[0]!r}\n"
            + cluster.report()
        )
    return [o for o in outcomes if not isinstance(o, BaseException)]


def assert_no_500(responses: list[httpx.Response], cluster: Cluster) -> None:
    bad = [r for r in responses if r.status_code >= 500 and r.status_code != 503]
    assert not bad, [(r.status_code, r.text) for r in bad] + [cluster.output()[-4000:]]


async def test_200_concurrent_logins_from_one_ip_give_exactly_five(
    cluster: Cluster, clients: dict[str, list[httpx.AsyncClient]]
) -> None:
    group = clients["127.0.0.1"]
    gate = asyncio.Semaphore(50)
    served_by: Counter[int] = Counter()

    async def attempt(n: int) -> httpx.Response:
        async with gate:
            which = n % len(group)
            response = await group[which].post(
                LOGIN, json={"username": f"flood-{uuid.uuid4().hex[:8]}", "password": "x" * 16}
            )
            served_by[which] += 1
            return response

    started = time.perf_counter()
    responses = await answers(cluster, (attempt(n) for n in range(200)))
    elapsed = time.perf_counter() - started
    statuses = Counter(r.status_code for r in responses)
    print(f"\n200 concurrent logins over 4 processes in {elapsed:.2f} s: {dict(statuses)}")
    assert_no_500(responses, cluster)
    assert statuses == {401: 5, 429: 195}
    assert set(served_by.values()) == {50}  # all four processes took part
    for response in responses:
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
            assert response.headers["x-ratelimit-remaining"] == "0"
            assert response.headers["ratelimit-policy"] == '"login";q=5;w=60'


async def test_a_user_budget_is_exact_across_processes(
    cluster: Cluster, clients: dict[str, list[httpx.AsyncClient]]
) -> None:
    admin = await admin_token(cluster, clients["127.0.0.2"][0])
    created = await clients["127.0.0.2"][1].post(
        "/api/v1/users",
        headers=admin,
        json={"username": "budget", "password": "spent carefully per minute 7", "role": "viewer"},
    )
    assert created.status_code == 201, created.text
    response = await clients["127.0.0.3"][2].post(
        LOGIN, json={"username": "budget", "password": "spent carefully per minute 7"}
    )
    assert response.status_code == 200, response.text
    auth = bearer(response.json())
    # The user's 60/minute videos budget, spent from two IPs at once over four processes.
    pool = clients["127.0.0.2"] + clients["127.0.0.3"]
    responses = await answers(
        cluster, (pool[n % len(pool)].get("/api/v1/videos", headers=auth) for n in range(150))
    )
    assert_no_500(responses, cluster)
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {200: 60, 429: 90}
    remaining = sorted(
        int(r.headers["x-ratelimit-remaining"]) for r in responses if r.status_code == 200
    )
    assert remaining == list(range(60))  # each count handed out exactly once


async def _timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await request
    return response, time.perf_counter() - started


async def _fail_modes(
    cluster: Cluster, auth: dict[str, str], clients: list[httpx.AsyncClient], refresh: str
) -> dict[str, float]:
    """Login/refresh fail closed, the rest fail open, probes unaffected; worst latencies."""
    health = [_timed(http.get("/health")) for http in clients]
    logins = [
        _timed(http.post(LOGIN, json={"username": "admin", "password": cluster.admin_password}))
        for http in clients
    ]
    refreshes = [
        _timed(http.post("/api/v1/auth/refresh", json={"refresh_token": refresh}))
        for http in clients[:1]
    ]
    videos = [_timed(http.get("/api/v1/videos", headers=auth)) for http in clients]
    analyses = [
        _timed(
            http.post(
                "/api/v1/analyze",
                headers=auth,
                json={"title": "Fail open", "script": "Still answered while Redis is down."},
            )
        )
        for http in clients[:2]
    ]
    results = await answers(cluster, [*health, *logins, *refreshes, *videos, *analyses])
    assert_no_500([r for r, _ in results], cluster)
    n = len(clients)
    health_r, login_r = results[:n], results[n : 2 * n]
    refresh_r = results[2 * n : 2 * n + 1]
    open_r = results[2 * n + 1 :]
    for response, _ in health_r:
        assert response.status_code == 200
    for response, _ in login_r + refresh_r:
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) >= 1
        assert "x-ratelimit-limit" not in response.headers
    for response, _ in open_r:
        assert response.status_code == 200, response.text
    return {
        "health": max(t for _, t in health_r),
        "closed": max(t for _, t in login_r + refresh_r),
        "open": max(t for _, t in open_r),
    }


async def test_redis_stopped_fails_closed_for_login_and_open_elsewhere(
    cluster: Cluster, clients: dict[str, list[httpx.AsyncClient]]
) -> None:
    group = clients["127.0.0.4"]
    tokens = await admin_tokens(cluster, group[0])
    auth = bearer(tokens)
    cluster.redis.stop()
    try:
        first = await _fail_modes(cluster, auth, group, tokens["refresh_token"])
        again = await _fail_modes(cluster, auth, group, tokens["refresh_token"])
        print(
            "\nRedis stopped: worst latency "
            + ", ".join(f"{k} {max(first[k], again[k]) * 1000:.0f} ms" for k in first)
        )
        for figures in (first, again):
            # Liveness bounds, far above the normal figures (health about 60 ms, the
            # others about 140 ms, on four processes sharing two cores with the test).
            assert figures["health"] < 1.0
            assert figures["closed"] < 2.5
            assert figures["open"] < 2.5
    finally:
        cluster.redis.start()
    # Back by itself: counted again (the restarted Redis has lost the old counts).
    response = await group[1].post(LOGIN, json={"username": "nobody", "password": "x" * 16})
    assert response.status_code == 401, response.text
    assert response.headers["x-ratelimit-limit"] == "5"
    response = await group[2].get("/api/v1/videos", headers=auth)
    assert response.status_code == 200
    assert "x-ratelimit-remaining" in response.headers


async def test_redis_frozen_fails_within_the_timeout(
    cluster: Cluster, clients: dict[str, list[httpx.AsyncClient]]
) -> None:
    group = clients["127.0.0.5"]
    tokens = await admin_tokens(cluster, group[0])
    auth = bearer(tokens)
    # Warm every process's Redis connection, so the freeze hits live connections.
    for http in group:
        assert (await http.get("/api/v1/videos", headers=auth)).status_code == 200
    frozen_at = time.monotonic()
    cluster.redis.pause(4)
    try:
        figures = await _fail_modes(cluster, auth, group, tokens["refresh_token"])
        assert time.monotonic() - frozen_at < 3.5  # all of it happened while frozen
    finally:
        cluster.redis.resume()
    print(
        "\nRedis frozen: worst latency "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures.items())
    )
    assert figures["health"] < 0.5
    assert 0.5 < figures["closed"] < 2.5  # waited for the ~1 s timeout, not forever
    assert figures["open"] < 2.5
    # Unfrozen: counted again. (The scripts sent into the frozen server ran when it woke,
    # so this address's refused attempts may have been counted after all: use another.)
    for http in clients["127.0.0.6"]:
        response = await http.post(LOGIN, json={"username": "nobody", "password": "x" * 16})
        assert response.status_code == 401, response.text
        assert response.headers["x-ratelimit-limit"] == "5"
