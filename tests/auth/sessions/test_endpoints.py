"""Own sessions against the app (SQLite and PostgreSQL): listed, marked, revoked."""

from __future__ import annotations

import uuid
from datetime import datetime

from faceless.models import Role
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem, snapshot
from tests.auth.api_tokens.support import ME, audited, bearer
from tests.conftest import PASSWORD, Accounts

SESSIONS = "/api/v1/auth/sessions"
LOGIN = "/api/v1/auth/login"


async def _login(accounts: Accounts, username: str, agent: str) -> dict[str, str]:
    answer = await accounts.client.post(
        LOGIN, json={"username": username, "password": PASSWORD}, headers={"User-Agent": agent}
    )
    assert answer.status_code == 200, answer.text
    tokens: dict[str, str] = answer.json()
    return tokens


async def test_own_live_sessions_are_listed_with_the_current_one_marked(
    accounts: Accounts,
) -> None:
    await accounts.create("sessioner")
    laptop = await _login(accounts, "sessioner", "laptop-browser/1.0")
    phone = await _login(accounts, "sessioner", "phone\x01app/2.0 " + "x" * 400)
    await accounts.headers("someone-else")  # another user's session is not listed
    answer = await accounts.client.get(SESSIONS, headers=bearer(laptop["access_token"]))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["total"] == 2 and body["limit"] == 20 and body["offset"] == 0
    items = body["items"]
    assert all(
        set(i) == {"id", "created_at", "last_used_at", "ip", "user_agent", "current"} for i in items
    )
    current = [item for item in items if item["current"]]
    assert len(current) == 1 and current[0]["user_agent"] == "laptop-browser/1.0"
    assert current[0]["ip"] == "127.0.0.1"
    assert current[0]["last_used_at"] is not None  # this very request used it
    other = next(item for item in items if not item["current"])
    assert other["user_agent"] == ("phoneapp/2.0 " + "x" * 400)[:256]  # no control chars
    assert other["last_used_at"] is None  # never used since sign-in
    datetime.fromisoformat(other["created_at"])
    assert (await accounts.client.get(ME, headers=bearer(phone["access_token"]))).status_code == 200


async def test_revoking_a_session_ends_its_tokens_at_once(
    accounts: Accounts, services: Runtime
) -> None:
    await accounts.create("ender")
    keep = await _login(accounts, "ender", "keep")
    lost = await _login(accounts, "ender", "lost")
    for _ in range(2):  # read, then served from the principal cache
        assert (
            await accounts.client.get(ME, headers=bearer(lost["access_token"]))
        ).status_code == 200
    listed = (await accounts.client.get(SESSIONS, headers=bearer(keep["access_token"]))).json()
    target = next(item["id"] for item in listed["items"] if item["user_agent"] == "lost")
    answer = await accounts.client.delete(
        f"{SESSIONS}/{target}", headers=bearer(keep["access_token"])
    )
    assert answer.status_code == 204
    assert_problem(await accounts.client.get(ME, headers=bearer(lost["access_token"])), 401)
    refresh = await accounts.client.post(
        "/api/v1/auth/refresh", json={"refresh_token": lost["refresh_token"]}
    )
    assert_problem(refresh, 401)
    assert (await accounts.client.get(ME, headers=bearer(keep["access_token"]))).status_code == 200
    after = (await accounts.client.get(SESSIONS, headers=bearer(keep["access_token"]))).json()
    assert [item["user_agent"] for item in after["items"]] == ["keep"]
    assert await audited(services, "auth.session_revoke") == [(f"session:{target}", "success")]


async def test_anothers_session_is_a_404_for_an_admin_too(
    accounts: Accounts, services: Runtime
) -> None:
    await accounts.create("victim")
    victim = await _login(accounts, "victim", "victim")
    admin = await accounts.headers("chief", Role.ADMIN)
    listed = (await accounts.client.get(SESSIONS, headers=bearer(victim["access_token"]))).json()
    before = await snapshot(services)
    for session_id in (listed["items"][0]["id"], str(uuid.uuid4()), "not-a-uuid"):
        assert_problem(await accounts.client.delete(f"{SESSIONS}/{session_id}", headers=admin), 404)
    assert await snapshot(services) == before
    assert (
        await accounts.client.get(ME, headers=bearer(victim["access_token"]))
    ).status_code == 200


async def test_a_revoked_session_is_no_longer_listed_nor_revocable_twice(
    accounts: Accounts,
) -> None:
    await accounts.create("twice")
    first = await _login(accounts, "twice", "first")
    second = await _login(accounts, "twice", "second")
    listed = (await accounts.client.get(SESSIONS, headers=bearer(first["access_token"]))).json()
    own = next(item["id"] for item in listed["items"] if item["current"])
    # Ending the session the request itself uses is allowed; its token stops with it.
    assert (
        await accounts.client.delete(f"{SESSIONS}/{own}", headers=bearer(first["access_token"]))
    ).status_code == 204
    assert_problem(await accounts.client.get(ME, headers=bearer(first["access_token"])), 401)
    answer = await accounts.client.delete(
        f"{SESSIONS}/{own}", headers=bearer(second["access_token"])
    )
    assert_problem(answer, 404)
    remaining = (await accounts.client.get(SESSIONS, headers=bearer(second["access_token"]))).json()
    assert remaining["total"] == 1


async def test_pagination_bounds_are_422(accounts: Accounts) -> None:
    headers = await accounts.headers("pager")
    for query in ("limit=0", "limit=101", "offset=-1"):
        assert_problem(await accounts.client.get(f"{SESSIONS}?{query}", headers=headers), 422)
