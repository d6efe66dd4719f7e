"""Rate limiting in one process (in-memory storage) with the real tiers of SPEC.md.

What is proven: the login tier lets exactly 5 attempts through, then 429 with an
integer ``Retry-After``; every answer carries the headers API.md fixes, counting
down on every attempt (401s included); ``/jobs/{id}`` is one budget whatever the
id; probes are never limited; a user's budget holds across IPs; a spoofed
``X-Forwarded-For`` from an untrusted peer changes nothing; an IPv6 /64 is one
client.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from faceless.models import Role
from faceless.security.ratelimit.rules import DEFAULT_RATES, build_rules, parse_rate
from tests.api.helpers import assert_problem
from tests.security.conftest import EdgeApp, edge_app, edge_settings

LOGIN = "/api/v1/auth/login"
RATE_HEADERS = (
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "ratelimit-policy",
    "ratelimit",
)
IETF_RATELIMIT = re.compile(r'^"(?P<name>[a-z-]+)";r=(?P<r>\d+);t=(?P<t>\d+)$')


@pytest.fixture
async def edge(tmp_path: Path, sqlite_url: str) -> AsyncIterator[EdgeApp]:
    async with edge_app(edge_settings(tmp_path, sqlite_url)) as app:
        yield app


def assert_limit_headers(
    response: httpx.Response, *, tier: str, limit: int, remaining: int, window: int = 60
) -> None:
    before = time.time()
    headers = response.headers
    for name in RATE_HEADERS:
        assert len(headers.get_list(name)) == 1, (name, response.headers)
    assert headers["x-ratelimit-limit"] == str(limit)
    assert headers["x-ratelimit-remaining"] == str(remaining)
    reset = int(headers["x-ratelimit-reset"])  # epoch seconds, an integer
    assert before - 2 <= reset <= before + window + 2
    assert headers["ratelimit-policy"] == f'"{tier}";q={limit};w={window}'
    match = IETF_RATELIMIT.match(headers["ratelimit"])
    assert match, headers["ratelimit"]
    assert match["name"] == tier
    assert int(match["r"]) == remaining
    assert 0 <= int(match["t"]) <= window


def bad_login() -> dict[str, str]:
    """A failed login under a fresh unknown username (so no account lockout interferes)."""
    return {"username": f"nobody-{uuid.uuid4().hex[:12]}", "password": "not the password at all"}


def retry_after(response: httpx.Response) -> int:
    value = response.headers["retry-after"]
    assert value.isdigit(), value  # delta-seconds, never a date or a fraction
    seconds = int(value)
    assert 1 <= seconds <= 60
    return seconds


def test_default_tiers_are_the_spec_table() -> None:
    rules = build_rules()
    expected = {
        ("POST", "/api/v1/auth/login"): ("login", 5, 60),
        ("POST", "/api/v1/auth/login/mfa"): ("login", 5, 60),
        ("POST", "/api/v1/auth/refresh"): ("refresh", 5, 60),
        ("POST", "/api/v1/transcribe"): ("transcribe", 10, 60),
        ("GET", "/api/v1/videos"): ("videos", 60, 60),
        ("POST", "/api/v1/analyze"): ("analyze", 60, 60),
        ("GET", f"/api/v1/jobs/{uuid.uuid4()}"): ("jobs", 30, 60),
        ("GET", f"/api/v1/jobs/{uuid.uuid4()}/result"): ("jobs", 30, 60),
        ("DELETE", f"/api/v1/jobs/{uuid.uuid4()}"): ("jobs-delete", 30, 60),
        ("POST", "/api/v1/schedule"): ("schedule", 10, 60),
        ("GET", "/api/v1/users"): ("default", 120, 60),
        ("POST", "/api/v1/videos"): ("default", 120, 60),
    }
    for (method, path), (name, limit, window) in expected.items():
        tier = rules.tier_for(method, path)
        assert tier is not None, (method, path)
        assert (tier.name, tier.limit, tier.window_seconds) == (name, limit, window)
    for path in ("/health", "/health/ready", "/api/v1/health", "/metrics"):
        assert rules.tier_for("GET", path) is None
    assert {name: parse_rate(rate) for name, rate in DEFAULT_RATES.items()}["default"] == (120, 60)
    assert rules.tier_for("POST", "/api/v1/auth/login").fail_open is False  # type: ignore[union-attr]
    assert rules.tier_for("GET", "/api/v1/videos").fail_open is True  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="unknown rate-limit tiers"):
        build_rules({"logn": "5/minute"})
    with pytest.raises(ValueError, match="invalid rate"):
        build_rules({"login": "0/minute"})


async def test_login_tier_lets_exactly_five_through_with_headers_on_every_answer(
    edge: EdgeApp,
) -> None:
    http = edge.client("203.0.113.10")
    for attempt in range(5):
        response = await http.post(LOGIN, json=bad_login())
        assert_problem(response, 401)  # every attempt counts, failures included
        assert_limit_headers(response, tier="login", limit=5, remaining=4 - attempt)
        assert "retry-after" not in response.headers  # only on a 429
    for _ in range(3):
        started = time.time()
        response = await http.post(LOGIN, json=bad_login())
        assert_problem(response, 429)
        assert_limit_headers(response, tier="login", limit=5, remaining=0)
        wait = retry_after(response)
        reset = int(response.headers["x-ratelimit-reset"])
        assert abs(started + wait - reset) <= 2
    # A malformed body is an attempt too, and refused by the limiter before it is parsed.
    response = await http.post(LOGIN, content=b"{", headers={"content-type": "application/json"})
    assert_problem(response, 429)
    # Another client is untouched, and a success also spends budget.
    await edge.create_user("limited")
    other = edge.client("203.0.113.11")
    ok = await other.post(
        LOGIN, json={"username": "limited", "password": "correct horse battery 42"}
    )
    assert ok.status_code == 200, ok.text
    assert_limit_headers(ok, tier="login", limit=5, remaining=4)


async def test_the_second_sign_in_step_shares_the_login_budget(edge: EdgeApp) -> None:
    http = edge.client("203.0.113.13")
    step = {"mfa_token": "x" * 40, "code": "123456"}
    for remaining in (4, 3):
        response = await http.post(LOGIN, json=bad_login())
        assert_limit_headers(response, tier="login", limit=5, remaining=remaining)
    for remaining in (2, 1, 0):
        response = await http.post(f"{LOGIN}/mfa", json=step)
        assert_problem(response, 401)
        assert_limit_headers(response, tier="login", limit=5, remaining=remaining)
    assert_problem(await http.post(LOGIN, json=bad_login()), 429)
    assert_problem(await http.post(f"{LOGIN}/mfa", json=step), 429)


async def test_refresh_tier_is_five_per_minute(edge: EdgeApp) -> None:
    http = edge.client("203.0.113.12")
    statuses = [
        (await http.post("/api/v1/auth/refresh", json={"refresh_token": "x" * 40})).status_code
        for _ in range(7)
    ]
    assert statuses == [401] * 5 + [429] * 2


async def test_jobs_by_id_is_one_budget_across_ids(edge: EdgeApp) -> None:
    auth = await edge.bearer("jobwatcher")
    http = edge.client("203.0.113.20")
    paths = [f"/api/v1/jobs/{uuid.uuid4()}", f"/api/v1/jobs/{uuid.uuid4()}/result"]
    for n in range(30):
        response = await http.get(
            paths[n % 2] if n % 3 else f"/api/v1/jobs/{uuid.uuid4()}", headers=auth
        )
        assert_problem(response, 404)
        assert_limit_headers(response, tier="jobs", limit=30, remaining=29 - n)
    for path in (
        f"/api/v1/jobs/{uuid.uuid4()}",
        f"/api/v1/jobs/{uuid.uuid4()}/result",
        "/api/v1/jobs/not-a-uuid",
    ):
        response = await http.get(path, headers=auth)
        assert_problem(response, 429)
        retry_after(response)
    # Other tiers are separate budgets: DELETE on a job, the job list (default tier).
    response = await http.delete(f"/api/v1/jobs/{uuid.uuid4()}", headers=auth)
    assert_problem(response, 404)
    assert_limit_headers(response, tier="jobs-delete", limit=30, remaining=29)
    response = await http.get("/api/v1/jobs", headers=auth)
    assert response.status_code == 200
    assert_limit_headers(response, tier="default", limit=120, remaining=119)


async def test_probes_are_never_limited(tmp_path: Path, sqlite_url: str) -> None:
    # A default tier of 2/minute: if a probe fell under it, the third call would show it.
    settings = edge_settings(tmp_path, sqlite_url, rate_limits=["default=2/minute"])
    async with edge_app(settings) as edge:
        http = edge.client("127.0.0.1")  # /metrics answers loopback only
        for _ in range(25):
            for path in ("/health", "/api/v1/health", "/health/ready", "/metrics"):
                response = await http.get(path)
                assert response.status_code == 200, (path, response.text)
                for name in (*RATE_HEADERS, "retry-after"):
                    assert name not in response.headers, (path, name)
        statuses = [(await http.get("/api/v1/users")).status_code for _ in range(3)]
        assert statuses == [401, 401, 429]  # the default tier itself is live


async def test_user_budget_holds_across_many_ips(tmp_path: Path, sqlite_url: str) -> None:
    # Behind a trusted proxy (the ASGI peer 127.0.0.1), every request claims a new IP.
    settings = edge_settings(tmp_path, sqlite_url, trusted_proxies=["127.0.0.1"])
    async with edge_app(settings) as edge:
        auth = await edge.bearer("roamer", Role.VIEWER)
        http = edge.client("127.0.0.1")
        limit = 60
        for n in range(limit):
            response = await http.get(
                "/api/v1/videos", headers={**auth, "X-Forwarded-For": f"198.51.100.{n + 1}"}
            )
            assert response.status_code == 200, response.text
            # The user's budget is the strictest one: it is the one described.
            assert_limit_headers(response, tier="videos", limit=limit, remaining=limit - 1 - n)
        response = await http.get(
            "/api/v1/videos", headers={**auth, "X-Forwarded-For": "198.51.100.200"}
        )
        assert_problem(response, 429)
        assert_limit_headers(response, tier="videos", limit=limit, remaining=0)
        retry_after(response)
        # The IPs themselves are barely used: another user from one of them gets through.
        other = await edge.bearer("neighbour", Role.VIEWER)
        response = await http.get(
            "/api/v1/videos", headers={**other, "X-Forwarded-For": "198.51.100.1"}
        )
        assert response.status_code == 200
        assert_limit_headers(response, tier="videos", limit=limit, remaining=limit - 2)
        # A forged token does not buy a fresh user budget: it counts against the IP only.
        forged = {"Authorization": "Bearer " + auth["Authorization"][7:-4] + "AAAA"}
        response = await http.get(
            "/api/v1/videos", headers={**forged, "X-Forwarded-For": "198.51.100.2"}
        )
        assert_problem(response, 401)
        assert_limit_headers(response, tier="videos", limit=limit, remaining=limit - 2)


async def test_ip_budget_holds_across_users(edge: EdgeApp) -> None:
    http = edge.client("203.0.113.40")
    tokens = [await edge.bearer(f"crowd{n}", Role.VIEWER) for n in range(3)]
    statuses = [
        (await http.get("/api/v1/videos", headers=tokens[n % 3])).status_code for n in range(61)
    ]
    assert statuses == [200] * 60 + [429]


async def test_spoofed_forwarded_for_from_untrusted_peer_does_not_change_the_key(
    tmp_path: Path, sqlite_url: str
) -> None:
    # 10.9.9.9 is the only trusted proxy; the attacker connects directly.
    settings = edge_settings(tmp_path, sqlite_url, trusted_proxies=["10.9.9.9"])
    async with edge_app(settings) as edge:
        attacker = edge.client("203.0.113.50")
        statuses = []
        for n in range(8):
            response = await attacker.post(
                LOGIN,
                json=bad_login(),
                headers={"X-Forwarded-For": f"198.51.100.{n}, 10.9.9.9", "X-Real-IP": f"1.1.1.{n}"},
            )
            statuses.append(response.status_code)
        assert statuses == [401] * 5 + [429] * 3
        # Through the trusted proxy, the forwarded client is a client of its own.
        proxied = edge.client("10.9.9.9")
        response = await proxied.post(
            LOGIN, json=bad_login(), headers={"X-Forwarded-For": "198.51.100.77"}
        )
        assert_problem(response, 401)
        # ...and the attacker's address forwarded by the proxy is the attacker's budget.
        response = await proxied.post(
            LOGIN, json=bad_login(), headers={"X-Forwarded-For": "203.0.113.50"}
        )
        assert_problem(response, 429)


async def test_ipv6_clients_in_one_slash_64_share_a_budget(edge: EdgeApp) -> None:
    same_64 = [
        "2001:db8:1:2::1",
        "2001:db8:1:2:ffff:ffff:ffff:fffe",
        "2001:db8:1:2:abcd::9",
        "2001:db8:1:2::dead:beef",
        "2001:db8:0001:0002:0000:0000:0000:0042",
    ]
    for address in same_64:
        assert_problem(await edge.client(address).post(LOGIN, json=bad_login()), 401)
    response = await edge.client("2001:db8:1:2:1234::77").post(LOGIN, json=bad_login())
    assert_problem(response, 429)
    # The neighbouring /64 is another subscriber.
    response = await edge.client("2001:db8:1:3::1").post(LOGIN, json=bad_login())
    assert_problem(response, 401)
    assert_limit_headers(response, tier="login", limit=5, remaining=4)
    # An IPv4-mapped address is the IPv4 client it maps.
    for _ in range(5):
        assert_problem(await edge.client("198.51.100.9").post(LOGIN, json=bad_login()), 401)
    response = await edge.client("::ffff:198.51.100.9").post(LOGIN, json=bad_login())
    assert_problem(response, 429)


async def test_a_refused_request_spends_no_budget(tmp_path: Path, sqlite_url: str) -> None:
    """All-or-nothing: a 429 on the IP budget does not also drain the user budget."""
    settings = edge_settings(tmp_path, sqlite_url, rate_limits=["videos=3/minute"])
    async with edge_app(settings) as edge:
        auth = await edge.bearer("careful", Role.VIEWER)
        busy = edge.client("203.0.113.60")
        for _ in range(3):
            assert (await busy.get("/api/v1/videos")).status_code == 401  # IP budget only
        for _ in range(5):
            assert (await busy.get("/api/v1/videos", headers=auth)).status_code == 429
        quiet = edge.client("203.0.113.61")
        response = await quiet.get("/api/v1/videos", headers=auth)
        assert response.status_code == 200
        assert_limit_headers(response, tier="videos", limit=3, remaining=2)


async def test_moving_window_frees_budget_as_hits_age(tmp_path: Path, sqlite_url: str) -> None:
    settings = edge_settings(tmp_path, sqlite_url, rate_limits=["login=2/2 seconds"])
    async with edge_app(settings) as edge:
        http = edge.client("203.0.113.70")
        assert (await http.post(LOGIN, json=bad_login())).status_code == 401
        assert (await http.post(LOGIN, json=bad_login())).status_code == 401
        refused = await http.post(LOGIN, json=bad_login())
        assert_problem(refused, 429)
        wait = retry_after(refused)
        assert wait <= 2
        assert refused.headers["ratelimit-policy"] == '"login";q=2;w=2'
        await asyncio.sleep(wait + 0.1)
        assert (await http.post(LOGIN, json=bad_login())).status_code == 401


async def test_an_api_tokens_budget_is_its_owners(tmp_path: Path, sqlite_url: str) -> None:
    settings = edge_settings(
        tmp_path, sqlite_url, trusted_proxies=["127.0.0.1"], rate_limits=["videos=5/minute"]
    )
    async with edge_app(settings) as edge:
        session = await edge.bearer("scripted", Role.EDITOR)
        http = edge.client("127.0.0.1")
        made = await http.post(
            "/api/v1/tokens", headers=session, json={"name": "cron", "scopes": ["videos:read"]}
        )
        assert made.status_code == 201, made.text
        script = {"Authorization": f"Bearer {made.json()['token']}"}
        # The first request teaches this process the owner; from then on the token's
        # requests and the owner's session share one budget, whatever the addresses.
        for n in range(5):
            response = await http.get(
                "/api/v1/videos", headers={**script, "X-Forwarded-For": f"198.51.100.{n + 1}"}
            )
            assert response.status_code == 200, response.text
        response = await http.get(
            "/api/v1/videos", headers={**session, "X-Forwarded-For": "198.51.100.6"}
        )
        assert response.status_code == 200
        response = await http.get(
            "/api/v1/videos", headers={**script, "X-Forwarded-For": "198.51.100.7"}
        )
        assert_problem(response, 429)
        response = await http.get(
            "/api/v1/videos", headers={**session, "X-Forwarded-For": "198.51.100.8"}
        )
        assert_problem(response, 429)
