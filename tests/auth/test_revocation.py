"""Revocation reaches every process on the next request, principal caches notwithstanding.

Sessions ended from the session list and API tokens (revoked, or their owner disabled)
are covered too, and no API token or access token value reaches either server's log.

Two real ``faceless serve`` processes share one database: PostgreSQL with Redis (the
production shape) and the embedded default (SQLite and a shared var directory). Each
case warms the principal cache of process B with the user's token, makes a change
through process A, and then asks B at once: the change holds on B's very next request.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import PASSWORD
from tests.fixtures import ManagedProcess, PostgresCluster, RedisServer, free_port

pytestmark = [pytest.mark.slow]

FACELESS = str(Path(sys.executable).with_name("faceless"))
REDIS_DB = 12


@dataclass
class Pair:
    a: httpx.Client
    b: httpx.Client
    admin: dict[str, str]
    # Where both servers' stdout and stderr are written.
    log_dir: Path


def _start(env: dict[str, str | None], var_dir: Path) -> Iterator[tuple[str, str, str]]:
    ports = [free_port(), free_port()]
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
        first = processes[0].start()
        match = first.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=60)
        first.wait_for_port(ports[0], timeout=60)
        processes[1].start().wait_for_port(ports[1], timeout=60)
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}", match.group(1)
    finally:
        for process in processes:
            process.stop()


def _deployment(
    kind: str, request: pytest.FixtureRequest, var_dir: Path
) -> Iterator[tuple[str, str, str]]:
    env: dict[str, str | None] = {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(var_dir),  # shared: one set of dev secrets for both
        "PUBLIC_URL": "https://localhost:8443",
        # Every case signs in; the login tier's budget is not what is tested here.
        "RATE_LIMITS": "login=1000/minute",
        "TRUSTED_PROXIES": None,
        "DATABASE_URL": None,
        "REDIS_URL": None,
    }
    if kind == "embedded":
        yield from _start(env, var_dir)
        return
    pg: PostgresCluster = request.getfixturevalue("pg_cluster")
    redis: RedisServer = request.getfixturevalue("redis_server")
    database = "revoke_" + uuid.uuid4().hex[:10]
    pg.create_database(database)
    env |= {"DATABASE_URL": pg.dsn(database), "REDIS_URL": redis.url(REDIS_DB)}
    run_env = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    subprocess.run([FACELESS, "migrate"], env=run_env, check=True, timeout=120, capture_output=True)
    try:
        yield from _start(env, var_dir)
    finally:
        pg.drop_database(database)


@pytest.fixture(
    scope="module",
    params=["embedded", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.redis])],
)
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    var_dir = tmp_path_factory.mktemp(f"revoke-{request.param}")
    for url_a, url_b, admin_password in _deployment(request.param, request, var_dir):
        with (
            httpx.Client(base_url=url_a, timeout=30) as a,
            httpx.Client(base_url=url_b, timeout=30) as b,
        ):
            admin = _login(a, "admin", admin_password)
            yield Pair(a, b, admin, var_dir)


def _login(http: httpx.Client, username: str, password: str = PASSWORD) -> dict[str, str]:
    answer = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    return {"Authorization": f"Bearer {tokens['access_token']}", "refresh": tokens["refresh_token"]}


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": tokens["Authorization"]}


def _new_editor(pair: Pair) -> tuple[str, dict[str, str]]:
    username = "u" + uuid.uuid4().hex[:12]
    created = pair.a.post(
        "/api/v1/users",
        headers=_bearer(pair.admin),
        json={"username": username, "password": PASSWORD, "role": "editor"},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"], _login(pair.a, username)


def _warm(pair: Pair, tokens: dict[str, str]) -> None:
    """B has served this token (twice: read, then from its cache) just before the change."""
    for _ in range(2):
        assert pair.b.get("/api/v1/auth/me", headers=_bearer(tokens)).status_code == 200


def test_logout_on_one_process_stops_the_token_on_the_other(pair: Pair) -> None:
    _, tokens = _new_editor(pair)
    _warm(pair, tokens)
    assert pair.a.post("/api/v1/auth/logout", headers=_bearer(tokens)).status_code == 204
    assert pair.b.get("/api/v1/auth/me", headers=_bearer(tokens)).status_code == 401


def test_disabling_a_user_stops_their_token_everywhere(pair: Pair) -> None:
    user_id, tokens = _new_editor(pair)
    _warm(pair, tokens)
    disabled = pair.a.patch(
        f"/api/v1/users/{user_id}", headers=_bearer(pair.admin), json={"disabled": True}
    )
    assert disabled.status_code == 200
    assert pair.b.get("/api/v1/auth/me", headers=_bearer(tokens)).status_code == 401
    assert pair.b.get("/api/v1/videos", headers=_bearer(tokens)).status_code == 401


def test_a_role_change_holds_on_the_next_request_everywhere(pair: Pair) -> None:
    user_id, tokens = _new_editor(pair)
    create = {"title": "role check"}
    assert pair.b.post("/api/v1/videos", headers=_bearer(tokens), json=create).status_code == 201
    demoted = pair.a.patch(
        f"/api/v1/users/{user_id}", headers=_bearer(pair.admin), json={"role": "viewer"}
    )
    assert demoted.status_code == 200
    refused = pair.b.post("/api/v1/videos", headers=_bearer(tokens), json=create)
    assert refused.status_code == 403
    assert pair.b.get("/api/v1/auth/me", headers=_bearer(tokens)).json()["role"] == "viewer"
    promoted = pair.a.patch(
        f"/api/v1/users/{user_id}", headers=_bearer(pair.admin), json={"role": "editor"}
    )
    assert promoted.status_code == 200
    assert pair.b.post("/api/v1/videos", headers=_bearer(tokens), json=create).status_code == 201


def test_a_password_change_ends_the_other_sessions_everywhere(pair: Pair) -> None:
    user_id, tokens = _new_editor(pair)
    me = pair.b.get("/api/v1/auth/me", headers=_bearer(tokens)).json()
    other = _login(pair.b, me["username"])
    _warm(pair, other)
    changed = pair.a.post(
        "/api/v1/users/me/password",
        headers=_bearer(tokens),
        json={"current_password": PASSWORD, "new_password": PASSWORD[::-1] + " again"},
    )
    assert changed.status_code == 204, changed.text
    assert pair.b.get("/api/v1/auth/me", headers=_bearer(other)).status_code == 401
    # The session that made the change goes on, on both processes.
    assert pair.b.get("/api/v1/auth/me", headers=_bearer(tokens)).json()["id"] == user_id


def test_a_reused_refresh_token_ends_the_session_everywhere(pair: Pair) -> None:
    _, tokens = _new_editor(pair)
    _warm(pair, tokens)
    spent = {"refresh_token": tokens["refresh"]}
    assert pair.a.post("/api/v1/auth/refresh", json=spent).status_code == 200
    assert pair.a.post("/api/v1/auth/refresh", json=spent).status_code == 401  # reuse
    assert pair.b.get("/api/v1/auth/me", headers=_bearer(tokens)).status_code == 401


def test_a_session_ended_from_the_list_on_one_process_ends_on_the_other(pair: Pair) -> None:
    _, tokens = _new_editor(pair)
    username = pair.a.get("/api/v1/auth/me", headers=_bearer(tokens)).json()["username"]
    other = _login(pair.b, username)
    _warm(pair, other)
    listed = pair.b.get("/api/v1/auth/sessions", headers=_bearer(tokens)).json()
    assert listed["total"] == 2
    target = next(item["id"] for item in listed["items"] if not item["current"])
    ended = pair.a.delete(f"/api/v1/auth/sessions/{target}", headers=_bearer(tokens))
    assert ended.status_code == 204
    assert pair.b.get("/api/v1/auth/me", headers=_bearer(other)).status_code == 401
    after = pair.b.get("/api/v1/auth/sessions", headers=_bearer(tokens)).json()
    assert [item["current"] for item in after["items"]] == [True]


def test_an_api_token_stops_everywhere_when_revoked_or_its_owner_disabled(pair: Pair) -> None:
    user_id, tokens = _new_editor(pair)
    made = pair.a.post(
        "/api/v1/tokens",
        headers=_bearer(tokens),
        json={"name": "two-process", "scopes": ["videos:read"]},
    )
    assert made.status_code == 201, made.text
    script = {"Authorization": f"Bearer {made.json()['token']}"}
    for _ in range(2):  # B reads it, then serves it from its cache
        assert pair.b.get("/api/v1/videos", headers=script).status_code == 200
    admin = _bearer(pair.admin)
    assert pair.a.patch(
        f"/api/v1/users/{user_id}", headers=admin, json={"disabled": True}
    ).is_success
    assert pair.b.get("/api/v1/videos", headers=script).status_code == 401
    assert pair.a.patch(
        f"/api/v1/users/{user_id}", headers=admin, json={"disabled": False}
    ).is_success
    assert pair.b.get("/api/v1/videos", headers=script).status_code == 200
    # Disabling ended the owner's sessions (not the token): sign in again to revoke it.
    username = pair.a.get("/api/v1/auth/me", headers=script).json()["username"]
    again = _login(pair.a, username)
    revoked = pair.a.delete(f"/api/v1/tokens/{made.json()['id']}", headers=_bearer(again))
    assert revoked.status_code == 204
    assert pair.b.get("/api/v1/videos", headers=script).status_code == 401


def test_token_values_never_reach_the_logs(pair: Pair) -> None:
    _, tokens = _new_editor(pair)
    made = pair.a.post(
        "/api/v1/tokens", headers=_bearer(tokens), json={"name": "leak", "scopes": ["analyze"]}
    ).json()
    script = {"Authorization": f"Bearer {made['token']}"}
    assert pair.b.get("/api/v1/videos", headers=script).status_code == 403  # denied, audited
    assert pair.b.get("/api/v1/auth/me", headers=script).status_code == 200
    pair.a.delete(f"/api/v1/tokens/{made['id']}", headers=_bearer(tokens))
    assert pair.b.get("/api/v1/auth/me", headers=script).status_code == 401
    # A token in the query string (a client's mistake) is redacted from the access log too.
    pair.a.get("/api/v1/auth/me", params={"token": made["token"]})
    logs = "".join(path.read_text() for path in sorted(pair.log_dir.glob("api-*.std*")))
    assert "/api/v1/auth/me" in logs  # the access log was captured
    access_token = tokens["Authorization"].removeprefix("Bearer ")
    for value in (made["token"], made["token"][3:], access_token, tokens["refresh"]):
        assert value not in logs
