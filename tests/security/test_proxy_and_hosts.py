"""Who the client is, which hosts are served, which origins may read: the outer edge.

- The Host allow-list answers 400 before any other work (nothing counted, nothing
  stored), matching allowed names whatever the port, IPv6 literals included.
- The client address recorded in the audit trail is the right-most untrusted
  ``X-Forwarded-For`` hop when the peer is a trusted proxy, the peer otherwise.
- ``X-Forwarded-Proto`` is believed only from a trusted proxy (HSTS follows it).
- CORS: only listed origins are echoed, exactly, with credentials; never ``*``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from faceless.models import Role
from faceless.security.edge_policy import build_edge
from faceless.security.proxy import build_proxy_policy, resolve_client
from faceless.settings import HttpSettings
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import PASSWORD
from tests.security.conftest import EdgeApp, edge_app, edge_settings

LOGIN = "/api/v1/auth/login"
DASHBOARD = "https://dashboard.example"


@pytest.fixture
async def edge(tmp_path: Path, sqlite_url: str) -> AsyncIterator[EdgeApp]:
    settings = edge_settings(
        tmp_path,
        sqlite_url,
        trusted_proxies=["10.0.0.0/8", "fd00::/8"],
        cors_origins=[DASHBOARD],
    )
    async with edge_app(settings) as app:
        yield app


async def audit_events(edge: EdgeApp, auth: dict[str, str]) -> list[dict[str, Any]]:
    response = await edge.client("127.0.0.1").get("/api/v1/audit?limit=100", headers=auth)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def failed_login_ip(
    edge: EdgeApp, auth: dict[str, str], http: httpx.AsyncClient, **kw: Any
) -> str | None:
    """Fail a login as a unique username and return the actor_ip the audit trail recorded."""
    username = f"probe{len(await audit_events(edge, auth))}"
    response = await http.post(
        LOGIN, json={"username": username, "password": "wrong password!!"}, **kw
    )
    assert_problem(response, 401)
    events = [e for e in await audit_events(edge, auth) if e["target"] == f"user:{username}"]
    assert [e["action"] for e in events] == ["auth.login_failed"]
    assert events[0]["request_id"] == response.headers["x-request-id"]
    ip: str | None = events[0]["actor_ip"]
    return ip


# -- Host allow-list ----------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "localhost:8443",
        "LocalHost:80",
        "127.0.0.1",
        "127.0.0.1:9999",
        "[::1]",
        "[::1]:8443",
    ],
)
async def test_allowed_hosts_match_whatever_the_port(edge: EdgeApp, host: str) -> None:
    response = await edge.client().get("/health", headers={"host": host})
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8443",
        "localhost.evil.example",
        "evil.example#localhost",
        "localhost@evil.example",
        "[::2]:8443",
        "127.0.0.2",
        "",
    ],
)
async def test_other_hosts_get_a_400_problem_and_nothing_happens(edge: EdgeApp, host: str) -> None:
    await edge.create_user("hostile")
    before = await snapshot(edge.services)
    http = edge.client("203.0.113.5")
    response = await http.get("/health", headers={"host": host})
    body = assert_problem(response, 400)
    assert "host" in body["detail"].lower()
    assert "evil" not in response.text  # the rejected value is not echoed
    for _ in range(7):  # not even counted: 7 > the login tier's 5
        response = await http.post(
            LOGIN, json={"username": "hostile", "password": PASSWORD}, headers={"host": host}
        )
        assert_problem(response, 400)
        assert "x-ratelimit-limit" not in response.headers
    assert await snapshot(edge.services) == before  # no session, no audit row
    ok = await http.post(LOGIN, json={"username": "hostile", "password": PASSWORD})
    assert ok.status_code == 200
    assert ok.headers["x-ratelimit-remaining"] == "4"


async def test_a_custom_host_list_replaces_the_default(tmp_path: Path, sqlite_url: str) -> None:
    settings = edge_settings(tmp_path, sqlite_url, allowed_hosts=["api.example.com"])
    async with edge_app(settings) as edge:
        http = edge.client()
        ok = await http.get("/health", headers={"host": "API.example.com:443"})
        assert ok.status_code == 200
        assert_problem(await http.get("/health", headers={"host": "localhost"}), 400)


# -- client address -----------------------------------------------------------------


def test_resolve_client_takes_the_rightmost_untrusted_hop() -> None:
    policy = build_proxy_policy(["10.0.0.0/8", "fd00::/8"])
    chain = [b"6.6.6.6, 203.0.113.9", b"10.1.1.1"]
    assert resolve_client(policy, "10.0.0.2", chain) == "203.0.113.9"
    assert resolve_client(policy, "198.51.100.1", chain) == "198.51.100.1"  # untrusted peer
    assert resolve_client(policy, "10.0.0.2", []) == "10.0.0.2"  # no header
    assert resolve_client(policy, "10.0.0.2", [b"10.3.3.3, 10.4.4.4"]) == "10.3.3.3"
    assert resolve_client(policy, "10.0.0.2", [b"evil, 10.4.4.4"]) == "10.4.4.4"
    assert resolve_client(policy, "fd00::1", [b"2001:db8::7"]) == "2001:db8::7"
    assert resolve_client(policy, None, chain) is None
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        build_proxy_policy(["10.0.0.0/33"])


async def test_audit_trail_records_the_real_client_address(edge: EdgeApp) -> None:
    await edge.create_user("auditor", Role.ADMIN)
    auth = {"Authorization": f"Bearer {await edge.token('auditor', ip='127.0.0.1')}"}
    proxy = edge.client("10.0.0.5")
    direct = edge.client("198.51.100.20")
    # Behind a trusted proxy: the right-most hop the proxies did not vouch for.
    assert (
        await failed_login_ip(
            edge, auth, proxy, headers={"X-Forwarded-For": "6.6.6.6, 203.0.113.9, 10.0.0.7"}
        )
        == "203.0.113.9"
    )
    # Two header lines are one list, in order.
    assert (
        await failed_login_ip(
            edge,
            auth,
            proxy,
            headers=[("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "203.0.113.10")],
        )
        == "203.0.113.10"
    )
    # A trusted proxy with no header is the client itself.
    assert await failed_login_ip(edge, auth, proxy) == "10.0.0.5"
    # An untrusted peer: its claims are ignored, whatever they say.
    for spoof in ("203.0.113.9", "10.0.0.7", "127.0.0.1", "garbage"):
        ip = await failed_login_ip(edge, auth, direct, headers={"X-Forwarded-For": spoof})
        assert ip == "198.51.100.20"
    # IPv6 behind an IPv6 proxy.
    v6 = edge.client("fd00::10")
    ip = await failed_login_ip(edge, auth, v6, headers={"X-Forwarded-For": "2001:db8::42"})
    assert ip == "2001:db8::42"
    # The successful sign-in of the admin itself was recorded with its address too.
    logins = [e for e in await audit_events(edge, auth) if e["action"] == "auth.login"]
    assert logins and logins[-1]["actor_ip"] == "127.0.0.1"


async def test_forwarded_proto_is_believed_only_from_a_trusted_proxy(edge: EdgeApp) -> None:
    trusted = await edge.client("10.0.0.5").get("/health", headers={"X-Forwarded-Proto": "https"})
    assert trusted.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"
    spoofed = await edge.client("198.51.100.20").get(
        "/health", headers={"X-Forwarded-Proto": "https"}
    )
    assert "strict-transport-security" not in spoofed.headers
    plain = await edge.client("10.0.0.5").get("/health", headers={"X-Forwarded-Proto": "http"})
    assert "strict-transport-security" not in plain.headers
    # Garbage is not a scheme.
    odd = await edge.client("10.0.0.5").get("/health", headers={"X-Forwarded-Proto": "gopher"})
    assert "strict-transport-security" not in odd.headers


# -- CORS ---------------------------------------------------------------------------


async def test_cors_unlisted_origin_gets_no_allow_origin(edge: EdgeApp) -> None:
    http = edge.client()
    for origin in (
        "https://evil.example",
        "null",
        DASHBOARD + ".evil.example",
        "http://dashboard.example",
    ):
        response = await http.get("/health", headers={"Origin": origin})
        assert response.status_code == 200
        # Without Access-Control-Allow-Origin a browser denies the read, whatever else is
        # there (Starlette also sends its static Allow-Credentials/Expose-Headers pair).
        assert "access-control-allow-origin" not in response.headers
        preflight = await http.options(
            "/api/v1/videos",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert preflight.status_code == 400
        assert "access-control-allow-origin" not in preflight.headers


async def test_cors_listed_origin_is_echoed_exactly_with_credentials(edge: EdgeApp) -> None:
    http = edge.client()
    response = await http.get("/health", headers={"Origin": DASHBOARD})
    assert response.headers["access-control-allow-origin"] == DASHBOARD
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "origin" in response.headers.get("vary", "").lower()
    exposed = response.headers["access-control-expose-headers"].lower()
    assert "retry-after" in exposed and "x-ratelimit-remaining" in exposed
    preflight = await http.options(
        "/api/v1/videos",
        headers={
            "Origin": DASHBOARD,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == DASHBOARD
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert "*" not in preflight.headers.get("access-control-allow-methods", "")
    # Errors carry it too (the dashboard must be able to read a 401).
    denied = await http.get("/api/v1/videos", headers={"Origin": DASHBOARD})
    assert denied.status_code == 401
    assert denied.headers["access-control-allow-origin"] == DASHBOARD


async def test_no_origin_is_allowed_by_default(tmp_path: Path, sqlite_url: str) -> None:
    async with edge_app(edge_settings(tmp_path, sqlite_url)) as edge:
        response = await edge.client().get("/health", headers={"Origin": DASHBOARD})
        assert "access-control-allow-origin" not in response.headers


def test_wildcard_cors_is_refused_at_start_up(tmp_path: Path, sqlite_url: str) -> None:
    settings = edge_settings(tmp_path, sqlite_url)
    for origins in (["*"], [DASHBOARD, "*"]):
        wild = settings.model_copy(
            update={"http": HttpSettings(cors_origins=origins)}  # type: ignore[arg-type]
        )
        with pytest.raises(ValueError, match="CORS_ORIGINS"):
            build_edge(wild)
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        build_edge(
            settings.model_copy(
                update={"http": HttpSettings(trusted_proxies=["not-an-ip"])}  # type: ignore[arg-type]
            )
        )


def test_wildcard_cors_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sqlite_url: str
) -> None:
    monkeypatch.setenv("CORS_ORIGINS", "*")
    settings = edge_settings(tmp_path, sqlite_url).model_copy(update={"http": HttpSettings()})
    assert settings.http.cors_origins == ["*"]
    with pytest.raises(ValueError, match="CORS_ORIGINS"):
        build_edge(settings)
