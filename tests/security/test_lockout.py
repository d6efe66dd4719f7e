"""Brute-force protection beyond the per-IP limit: the per-account progressive lockout.

- After 5 consecutive failures a name is locked 1 minute, then 2, 4, 8 and at most
  15 minutes per further failure; the answer is 423 with ``Retry-After``; attempts
  during a lockout (even with the right password) are refused without extending
  it; a success resets the count; unknown names lock exactly the same way.
- An attacker rotating IPs (behind a trusted proxy), sequentially or all at once,
  gets no more than 5 guesses per lock period.
- Unknown-user and wrong-password logins take statistically the same time.
- With 60 bad logins in flight the hashing cap keeps ``/health`` responsive.

Time is driven by moving ``locked_until`` into the past through the database.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, select, update

from faceless.auth.service import LOCKOUT_MAX_SECONDS, lockout_seconds
from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import AuditEvent, LoginThrottle
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem
from tests.conftest import PASSWORD
from tests.fixtures import ManagedProcess, free_port
from tests.security.conftest import EdgeApp, edge_app, edge_settings

LOGIN = "/api/v1/auth/login"
WRONG = "definitely not it 99"
FACELESS = str(Path(sys.executable).with_name("faceless"))


@pytest.fixture
async def edge(tmp_path: Path, database_url: str) -> AsyncIterator[EdgeApp]:
    """Both databases; the IP tier is raised so only the account lockout is in play."""
    settings = edge_settings(tmp_path, database_url, rate_limits=["login=100000/minute"])
    async with edge_app(settings) as app:
        yield app


async def throttle(services: Runtime, name: str) -> LoginThrottle | None:
    async with transaction(services.sessions) as session:
        row: LoginThrottle | None = await session.get(LoginThrottle, name)
        return row


async def expire_lock(services: Runtime, name: str) -> None:
    """Jump to just after the current lock ends."""
    async with transaction(services.sessions) as session:
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.username == name)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )


async def audit_actions(services: Runtime, target: str) -> list[tuple[str, str]]:
    async with transaction(services.sessions) as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.outcome)
            .where(AuditEvent.target == target)
            .order_by(AuditEvent.id)
        )
        return [(action, outcome) for action, outcome in rows]


def retry_after(response: httpx.Response) -> int:
    value = response.headers["retry-after"]
    assert value.isdigit(), value
    return int(value)


def test_lockout_seconds_double_from_one_minute_to_fifteen() -> None:
    assert [lockout_seconds(n) for n in range(5)] == [0, 0, 0, 0, 0]
    assert [lockout_seconds(n) for n in range(5, 12)] == [60, 120, 240, 480, 900, 900, 900]
    assert lockout_seconds(10_000) == LOCKOUT_MAX_SECONDS == 900


async def login(http: httpx.AsyncClient, name: str, password: str, **kw: Any) -> httpx.Response:
    return await http.post(LOGIN, json={"username": name, "password": password}, **kw)


@pytest.mark.parametrize("exists", [True, False], ids=["known-user", "unknown-user"])
async def test_progression_refusal_and_reset(edge: EdgeApp, exists: bool) -> None:
    name = "victim" if exists else "ghost"
    if exists:
        await edge.create_user(name)
    http = edge.client("203.0.113.1")
    for _ in range(4):
        assert_problem(await login(http, name, WRONG), 401)
        row = await throttle(edge.services, name)
        assert row is not None and row.locked_until is None
    # The fifth failure is still the generic 401; it starts the lock.
    assert_problem(await login(http, name, WRONG), 401)
    expected = 60
    for failures in range(5, 12):
        row = await throttle(edge.services, name)
        assert row is not None and row.failures == failures
        assert row.locked_until is not None
        locked_until = row.locked_until
        assert abs((locked_until - utcnow()).total_seconds() - expected) < 3
        # During the lock: 423 for a wrong and for the right password, lock not extended.
        for password in (WRONG, PASSWORD, WRONG):
            response = await login(http, name.upper(), password)  # names are case-insensitive
            body = assert_problem(response, 423)
            assert "access_token" not in response.text
            assert abs(retry_after(response) - expected) <= 2
            assert body["detail"] == "Too many failed sign-ins; try again later."
        row = await throttle(edge.services, name)
        assert row is not None
        assert (row.failures, row.locked_until) == (failures, locked_until)
        # The lock ends; one more failure locks for twice as long, up to 15 minutes.
        await expire_lock(edge.services, name)
        assert_problem(await login(http, name, WRONG), 401)
        expected = min(expected * 2, 900)
    assert expected == 900
    await expire_lock(edge.services, name)
    if exists:
        # A success resets the count: the next failure is the first one again.
        ok = await login(http, name, PASSWORD)
        assert ok.status_code == 200, ok.text
        assert await throttle(edge.services, name) is None
        assert_problem(await login(http, name, WRONG), 401)
        row = await throttle(edge.services, name)
        assert row is not None and row.failures == 1 and row.locked_until is None
    else:
        assert_problem(await login(http, name, PASSWORD), 401)
    # The audit trail: every failure and every refusal, as sent.
    actions = await audit_actions(edge.services, f"user:{name}")
    actions += await audit_actions(edge.services, f"user:{name.upper()}")
    assert actions.count(("auth.login_failed", "failure")) == 5 + 7 + 1
    assert actions.count(("auth.locked", "denied")) == 3 * 7
    assert actions.count(("auth.login", "success")) == 0  # its target is the user id


async def test_unknown_and_known_names_are_indistinguishable_when_locked(edge: EdgeApp) -> None:
    await edge.create_user("realname")
    http = edge.client("203.0.113.2")
    answers: dict[str, list[tuple[int, str, str | None]]] = {}
    for name in ("realname", "madeupname"):
        answers[name] = []
        for _ in range(7):
            response = await login(http, name, WRONG)
            body = response.json()
            answers[name].append(
                (response.status_code, body["detail"], response.headers.get("retry-after"))
            )
    assert answers["realname"] == answers["madeupname"]
    assert [status for status, _, _ in answers["realname"]] == [401] * 5 + [423] * 2


async def test_rotating_ips_cannot_outpace_the_lockout(tmp_path: Path, database_url: str) -> None:
    """Real IP tier (5/minute), attacker behind a trusted proxy with a new IP per request."""
    settings = edge_settings(tmp_path, database_url, trusted_proxies=["10.0.0.1"])
    async with edge_app(settings) as edge:
        await edge.create_user("target")
        proxy = edge.client("10.0.0.1")
        statuses = []
        for n in range(20):
            password = PASSWORD if n in (7, 15) else WRONG  # a lucky guess comes too late
            response = await login(
                proxy, "target", password, headers={"X-Forwarded-For": f"198.51.100.{n + 1}"}
            )
            statuses.append(response.status_code)
        assert statuses == [401] * 5 + [423] * 15
        # Each IP was used once, so none hit its own limit: the lockout did all the work.
        failed = await audit_actions(edge.services, "user:target")
        assert failed.count(("auth.login_failed", "failure")) == 5


async def test_concurrent_guesses_from_many_ips_get_at_most_five_tries(
    tmp_path: Path, database_url: str
) -> None:
    """All at once: 40 guesses in flight for one account must not race past the count."""
    settings = edge_settings(
        tmp_path, database_url, trusted_proxies=["10.0.0.1"], max_concurrent_hashes=2
    )
    async with edge_app(settings) as edge:
        await edge.create_user("popular")
        proxy = edge.client("10.0.0.1")
        responses = await asyncio.gather(
            *(
                login(
                    proxy,
                    "Popular" if n % 2 else "popular",
                    WRONG,
                    headers={"X-Forwarded-For": f"198.51.100.{n + 1}"},
                )
                for n in range(40)
            )
        )
        statuses = sorted(r.status_code for r in responses)
        assert set(statuses) <= {401, 423}, [r.text for r in responses if r.status_code >= 500]
        assert statuses.count(401) == 5, statuses
        failed = await audit_actions(edge.services, "user:popular")
        failed += await audit_actions(edge.services, "user:Popular")
        assert failed.count(("auth.login_failed", "failure")) == 5
        row = await throttle(edge.services, "popular")
        assert row is not None and row.failures == 5 and row.locked_until is not None
        # ...and the right password is refused now.
        response = await login(
            proxy, "popular", PASSWORD, headers={"X-Forwarded-For": "198.51.100.200"}
        )
        assert_problem(response, 423)


async def test_concurrent_first_failures_for_a_new_name_are_all_counted(
    tmp_path: Path, database_url: str
) -> None:
    """Two first failures at once both create the counter row: neither may be a 500."""
    settings = edge_settings(tmp_path, database_url, rate_limits=["login=100000/minute"])
    async with edge_app(settings) as edge:
        http = edge.client("203.0.113.9")
        for round_ in range(5):
            name = f"fresh{round_}"
            responses = await asyncio.gather(*(login(http, name, WRONG) for _ in range(3)))
            assert sorted(r.status_code for r in responses) == [401, 401, 401], [
                r.text for r in responses
            ]
            row = await throttle(edge.services, name)
            assert row is not None and row.failures == 3


# -- timing -----------------------------------------------------------------------------


def _rank_auc(a: list[float], b: list[float]) -> float:
    """P(a sample of ``a`` exceeds one of ``b``), ties counting half (Mann-Whitney U / n·m)."""
    wins = sum((x > y) + 0.5 * (x == y) for x in a for y in b)
    return wins / (len(a) * len(b))


async def test_unknown_user_and_wrong_password_take_the_same_time(
    tmp_path: Path, sqlite_url: str
) -> None:
    settings = edge_settings(tmp_path, sqlite_url, rate_limits=["login=100000/minute"])
    async with edge_app(settings) as edge:
        users = [f"timed{n}" for n in range(12)]
        for name in users:
            await edge.create_user(name)
        http = edge.client("203.0.113.3")
        unknown: list[float] = []
        wrong: list[float] = []

        async def timed(name: str) -> float:
            started = time.perf_counter()
            response = await login(http, name, WRONG)
            elapsed = time.perf_counter() - started
            assert_problem(response, 401)
            return elapsed

        for warm in range(3):  # warm both paths (code, caches, connections)
            await timed(f"warm{warm}")
            await timed(users[warm])
            async with transaction(edge.services.sessions) as session:
                await session.execute(delete(LoginThrottle))
        # 4 attempts per name stay below the lock; interleaved, order alternating.
        for round_ in range(4):
            for n, name in enumerate(users):
                ghost = f"ghost{n}-{uuid.uuid5(uuid.NAMESPACE_DNS, name).hex[:6]}"
                if (round_ + n) % 2:
                    unknown.append(await timed(ghost))
                    wrong.append(await timed(name))
                else:
                    wrong.append(await timed(name))
                    unknown.append(await timed(ghost))
        med_unknown, med_wrong = statistics.median(unknown), statistics.median(wrong)
        auc = _rank_auc(unknown, wrong)
        print(
            f"\nlogin timing over {len(unknown)}+{len(wrong)} samples: "
            f"unknown median {med_unknown * 1000:.1f} ms, wrong-password median "
            f"{med_wrong * 1000:.1f} ms, P(unknown > wrong) = {auc:.2f}"
        )
        assert med_unknown > 0.005  # a real argon2 verification happened on both paths
        assert abs(med_unknown - med_wrong) / max(med_unknown, med_wrong) < 0.25
        assert 0.2 < auc < 0.8


# -- the hashing cap under a flood --------------------------------------------------------


@pytest.fixture
def flood_server(tmp_path: Path) -> Iterator[str]:
    """A real ``faceless serve`` (SQLite) with the IP tier raised and the default hash cap."""
    port = free_port()
    env = {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": None,
        "REDIS_URL": None,
        "PUBLIC_URL": f"https://localhost:{port}",
        "RATE_LIMITS": "login=100000/minute",
        "MAX_CONCURRENT_HASHES": None,
    }
    process = ManagedProcess(
        [FACELESS, "serve", "--behind-proxy", "--port", str(port)],
        env=env,
        name="flood-api",
        log_dir=tmp_path,
    )
    with process:
        process.wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}"


FLOOD = """
import asyncio, json, sys, time
import httpx

base, seconds, width = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])

async def main():
    limits = httpx.Limits(max_connections=width, max_keepalive_connections=width)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        stop = time.monotonic() + seconds
        statuses, in_flight, peak = [], 0, 0

        async def attacker(n):
            nonlocal in_flight, peak
            attempt = 0
            while time.monotonic() < stop:
                in_flight += 1
                peak = max(peak, in_flight)
                body = {"username": f"flood{n}-{attempt % 4}", "password": "wrong password 99"}
                try:
                    response = await http.post("/api/v1/auth/login", json=body)
                finally:
                    in_flight -= 1
                statuses.append(response.status_code)
                attempt += 1

        await asyncio.gather(*(attacker(n) for n in range(width)))
    print(json.dumps({"peak": peak, "statuses": statuses}), flush=True)

asyncio.run(main())
"""


PROBE = """
import json, sys, time
import httpx

base, delay, seconds = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
samples = []
with httpx.Client(base_url=base, timeout=10) as http:
    assert http.get("/health").status_code == 200
    time.sleep(delay)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        response = http.get("/health")
        samples.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
        time.sleep(0.01)
print(json.dumps(samples), flush=True)
"""


async def _python(script: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, *args, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0
    return out.decode()


@pytest.mark.slow
async def test_health_stays_responsive_with_60_bad_logins_in_flight(flood_server: str) -> None:
    """Load generator and probe are lean processes of their own: only the server is measured."""
    flood, probe = await asyncio.gather(
        _python(FLOOD, flood_server, "8", "60"), _python(PROBE, flood_server, "1.5", "5")
    )
    report = json.loads(flood)
    statuses: list[int] = report["statuses"]
    samples: list[float] = sorted(json.loads(probe))
    p50 = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(
        f"\n/health under {report['peak']} concurrent bad logins: {len(samples)} probes, "
        f"p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, max {samples[-1] * 1000:.1f} ms; "
        f"{len(statuses)} logins answered in 8 s ({statuses.count(401)} x 401), "
        f"cpus={os.cpu_count()}"
    )
    assert report["peak"] == 60
    assert len(samples) >= 100
    assert set(statuses) <= {401, 423}
    assert statuses.count(401) > 40  # the logins really were being hashed meanwhile
    assert p99 < 0.25
