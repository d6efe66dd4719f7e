"""Login, refresh rotation with reuse detection, logout, password change, roles."""

from __future__ import annotations

import jwt
import pytest
from sqlalchemy import select

from faceless.db.session import transaction
from faceless.models import AuditEvent, Role
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import PASSWORD, Accounts

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"


async def audit_actions(services: Runtime) -> list[str]:
    async with transaction(services.sessions) as session:
        return list(
            (await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all()
        )


async def test_login_returns_tokens_with_pinned_claims(
    accounts: Accounts, services: Runtime
) -> None:
    await accounts.create("alice")
    response = await accounts.client.post(LOGIN, json={"username": "Alice", "password": PASSWORD})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 900
    header = jwt.get_unverified_header(body["access_token"])
    assert header["alg"] == "HS256" and header["kid"] == services.signing_keys.current_kid
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["iss"] == "https://localhost:8443" and claims["aud"] == "faceless-api"
    assert claims["exp"] - claims["iat"] == 900
    assert {"jti", "sub", "sid"} <= claims.keys()
    me = await accounts.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert me.json()["username"] == "alice" and "password_hash" not in me.json()
    assert "auth.login" in await audit_actions(services)


async def test_form_encoded_login_is_accepted(accounts: Accounts) -> None:
    await accounts.create("formuser")
    response = await accounts.client.post(
        LOGIN, data={"username": "formuser", "password": PASSWORD}
    )
    assert response.status_code == 200


@pytest.mark.parametrize("username", ["alice", "nobody"])
async def test_failed_login_is_one_generic_401(
    accounts: Accounts, services: Runtime, username: str
) -> None:
    await accounts.create("alice")
    response = await accounts.client.post(LOGIN, json={"username": username, "password": "x" * 14})
    body = assert_problem(response, 401)
    assert body["detail"] == "Invalid username or password."
    assert response.headers["www-authenticate"] == "Bearer"
    async with transaction(services.sessions) as session:
        event = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()))).first()
    assert event is not None and event.action == "auth.login_failed"
    assert event.target == f"user:{username}" and event.outcome == "failure"


async def test_lockout_after_five_failures_refuses_even_the_right_password(
    accounts: Accounts,
) -> None:
    await accounts.create("locky")
    for _ in range(5):
        response = await accounts.client.post(
            LOGIN, json={"username": "locky", "password": "wrong" * 3}
        )
        assert response.status_code == 401
    response = await accounts.client.post(LOGIN, json={"username": "locky", "password": PASSWORD})
    assert_problem(response, 423)
    assert 1 <= int(response.headers["retry-after"]) <= 60
    # Unknown names lock the same way, so a lockout reveals nothing.
    for _ in range(5):
        await accounts.client.post(LOGIN, json={"username": "ghost", "password": "wrong" * 3})
    assert (
        await accounts.client.post(LOGIN, json={"username": "ghost", "password": "x" * 12})
    ).status_code == 423


async def test_refresh_rotates_and_reuse_revokes_the_family(
    accounts: Accounts, services: Runtime
) -> None:
    await accounts.create("rita")
    first = await accounts.login("rita")
    rotated = await accounts.client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    # Replaying the spent token is reuse: it fails and kills the family.
    replay = await accounts.client.post(REFRESH, json={"refresh_token": first["refresh_token"]})
    assert_problem(replay, 401)
    assert (
        await accounts.client.post(REFRESH, json={"refresh_token": second["refresh_token"]})
    ).status_code == 401
    for token in (first["access_token"], second["access_token"]):
        me = await accounts.client.get(
            "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert me.status_code == 401
    assert "auth.refresh_reuse" in await audit_actions(services)


async def test_refresh_token_is_not_an_access_token(accounts: Accounts) -> None:
    await accounts.create("tina")
    tokens = await accounts.login("tina")
    me = await accounts.client.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['refresh_token']}"}
    )
    assert_problem(me, 401)


async def test_logout_revokes_access_and_refresh(accounts: Accounts) -> None:
    await accounts.create("lou")
    tokens = await accounts.login("lou")
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await accounts.client.post("/api/v1/auth/logout", headers=auth)).status_code == 204
    assert (await accounts.client.get("/api/v1/auth/me", headers=auth)).status_code == 401
    refresh = await accounts.client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


async def test_password_change_keeps_this_session_only(accounts: Accounts) -> None:
    await accounts.create("pat")
    mine = await accounts.login("pat")
    other = await accounts.login("pat")
    auth = {"Authorization": f"Bearer {mine['access_token']}"}
    wrong = await accounts.client.post(
        "/api/v1/users/me/password",
        headers=auth,
        json={"current_password": "not it at all", "new_password": "a brand new secret 9"},
    )
    assert_problem(wrong, 400)
    ok = await accounts.client.post(
        "/api/v1/users/me/password",
        headers=auth,
        json={"current_password": PASSWORD, "new_password": "a brand new secret 9"},
    )
    assert ok.status_code == 204
    assert (await accounts.client.get("/api/v1/auth/me", headers=auth)).status_code == 200
    other_auth = {"Authorization": f"Bearer {other['access_token']}"}
    assert (await accounts.client.get("/api/v1/auth/me", headers=other_auth)).status_code == 401
    await accounts.login("pat", "a brand new secret 9")


async def test_admin_manages_users_and_cannot_demote_itself(
    accounts: Accounts, services: Runtime
) -> None:
    admin_id = await accounts.create("root", Role.ADMIN)
    tokens = await accounts.login("root")
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    created = await accounts.client.post(
        "/api/v1/users",
        headers=auth,
        json={
            "username": "Ed.Itor",
            "password": "long enough secret 1",
            "role": "editor",
            "email": "ed@example.com",
        },
    )
    assert created.status_code == 201
    user = created.json()
    assert user["username"] == "ed.itor" and set(user) == {
        "id",
        "username",
        "email",
        "role",
        "disabled",
        "created_at",
    }
    before = await snapshot(services)
    duplicate = await accounts.client.post(
        "/api/v1/users",
        headers=auth,
        json={
            "username": "other",
            "password": "long enough secret 1",
            "role": "viewer",
            "email": "ED@example.com",
        },
    )
    assert_problem(duplicate, 409)
    weak = await accounts.client.post(
        "/api/v1/users",
        headers=auth,
        json={"username": "weakling", "password": "password1234", "role": "viewer"},
    )
    assert_problem(weak, 422)
    demote = await accounts.client.patch(
        f"/api/v1/users/{admin_id}", headers=auth, json={"role": "viewer"}
    )
    assert_problem(demote, 409)
    assert await snapshot(services) == before
    listing = await accounts.client.get("/api/v1/users", headers=auth)
    assert listing.json()["total"] == 2 and listing.json()["limit"] == 20
    # Disabling takes effect on live tokens at once.
    ed = await accounts.login("ed.itor", "long enough secret 1")
    disabled = await accounts.client.patch(
        f"/api/v1/users/{user['id']}", headers=auth, json={"disabled": True}
    )
    assert disabled.json()["disabled"] is True
    ed_auth = {"Authorization": f"Bearer {ed['access_token']}"}
    assert (await accounts.client.get("/api/v1/auth/me", headers=ed_auth)).status_code == 401
    assert (
        await accounts.client.post(
            LOGIN, json={"username": "ed.itor", "password": "long enough secret 1"}
        )
    ).status_code == 401


async def test_roles_are_enforced(accounts: Accounts) -> None:
    viewer = await accounts.headers("vera", Role.VIEWER)
    assert_problem(await accounts.client.get("/api/v1/users", headers=viewer), 403)
    assert_problem(
        await accounts.client.post("/api/v1/videos", headers=viewer, json={"title": "t"}), 403
    )
    assert_problem(await accounts.client.get("/api/v1/audit", headers=viewer), 403)
    assert (await accounts.client.get("/api/v1/videos", headers=viewer)).status_code == 200


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.",
    ],
)
async def test_missing_or_bad_tokens_are_401(accounts: Accounts, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = await accounts.client.get("/api/v1/videos", headers=headers)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
