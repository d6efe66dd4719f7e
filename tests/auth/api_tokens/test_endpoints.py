"""API tokens against the app (SQLite and PostgreSQL): made, used, scoped, revoked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from faceless.crypto.keys import generate_keyring_value
from faceless.db.session import transaction
from faceless.models import ApiToken, Role
from faceless.runtime.container import Runtime
from faceless.settings import Settings
from tests.api.helpers import assert_problem, snapshot
from tests.auth.api_tokens.support import ALL_SCOPES, ME, TOKENS, audited, bearer, make_token
from tests.conftest import Accounts

VIDEOS = "/api/v1/videos"


def without_audit(state: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in state.items() if not k.startswith("audit_")}


async def test_a_token_is_shown_once_and_stored_only_as_an_hmac(
    accounts: Accounts, services: Runtime
) -> None:
    headers = await accounts.headers("scripter")
    answer = await accounts.client.post(
        TOKENS, headers=headers, json={"name": "nightly", "scopes": ["videos:read"]}
    )
    assert answer.status_code == 201, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert set(body) == {
        "id",
        "name",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "token",
    }
    token = body["token"]
    assert token.startswith("fl_") and len(token) >= 3 + 43  # 256 bits, base64url
    assert body["scopes"] == ["videos:read"] and body["last_used_at"] is None
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["expires_at"]) - created == timedelta(days=90)
    listed = (await accounts.client.get(TOKENS, headers=headers)).json()
    assert listed["total"] == 1 and "token" not in listed["items"][0]
    assert listed["items"][0]["id"] == body["id"]
    async with transaction(services.sessions) as session:
        row = (await session.scalars(select(ApiToken))).one()
    assert row.token_hash != token and token not in repr(vars(row))
    assert row.token_hash == services.api_tokens.hasher.digest(token)
    assert await audited(services, "token.create") == [(f"token:{body['id']}", "success")]


@pytest.mark.parametrize("days", [1, 365])
async def test_expiry_is_chosen_between_1_and_365_days(accounts: Accounts, days: int) -> None:
    headers = await accounts.headers("chooser")
    body = await make_token(accounts.client, headers, ["analyze"], expires_in_days=days)
    span = datetime.fromisoformat(body["expires_at"]) - datetime.fromisoformat(body["created_at"])
    assert span == timedelta(days=days)


async def test_a_token_works_within_its_scopes_only(accounts: Accounts, services: Runtime) -> None:
    headers = await accounts.headers("reader")
    token = (await make_token(accounts.client, headers, ["videos:read"]))["token"]
    assert (await accounts.client.get(VIDEOS, headers=bearer(token))).status_code == 200
    me = await accounts.client.get(ME, headers=bearer(token))
    assert me.status_code == 200 and me.json()["username"] == "reader"
    before = await snapshot(services)
    refused = await accounts.client.post(VIDEOS, headers=bearer(token), json={"title": "no"})
    assert_problem(refused, 403)
    assert without_audit(await snapshot(services)) == without_audit(before)
    assert [outcome for _, outcome in await audited(services, "token.denied")] == ["denied"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "scopes": ["videos:write"]},  # beyond a viewer's role
        {"name": "x", "scopes": ["videos:delete"]},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["analyze", "analyze"]},
        {"name": "x", "scopes": ["analyze"], "expires_in_days": 0},
        {"name": "x", "scopes": ["analyze"], "expires_in_days": 366},
        {"name": "x", "scopes": ["analyze"], "expires_in_days": None},
        {"name": "", "scopes": ["analyze"]},
        {"name": "tab\there", "scopes": ["analyze"]},
        {"name": "x" * 101, "scopes": ["analyze"]},
        {"scopes": ["analyze"]},
        {"name": "x", "scopes": ["analyze"], "token": "fl_mine"},
    ],
)
async def test_bad_requests_are_422_and_change_nothing(
    accounts: Accounts, services: Runtime, body: dict[str, Any]
) -> None:
    headers = await accounts.headers("viewer1", Role.VIEWER)
    before = await snapshot(services)
    answer = await accounts.client.post(TOKENS, headers=headers, json=body)
    assert_problem(answer, 422)
    assert await snapshot(services) == before


async def test_a_viewer_may_hold_the_read_scopes(accounts: Accounts) -> None:
    headers = await accounts.headers("viewer2", Role.VIEWER)
    scopes = ["videos:read", "analyze", "jobs:read", "schedule:read"]
    assert (await make_token(accounts.client, headers, scopes))["scopes"] == scopes


async def test_revocation_holds_on_the_next_request(accounts: Accounts, services: Runtime) -> None:
    headers = await accounts.headers("revoker")
    made = await make_token(accounts.client, headers, ["videos:read"])
    for _ in range(2):  # read, then served from the principal cache
        assert (await accounts.client.get(VIDEOS, headers=bearer(made["token"]))).status_code == 200
    deleted = await accounts.client.delete(f"{TOKENS}/{made['id']}", headers=headers)
    assert deleted.status_code == 204
    assert_problem(await accounts.client.get(VIDEOS, headers=bearer(made["token"])), 401)
    assert (await accounts.client.get(TOKENS, headers=headers)).json()["total"] == 0
    assert await audited(services, "token.revoke") == [(f"token:{made['id']}", "success")]
    assert_problem(await accounts.client.delete(f"{TOKENS}/{made['id']}", headers=headers), 404)


async def test_anothers_token_is_a_404_for_an_admin_too(
    accounts: Accounts, services: Runtime
) -> None:
    owner = await accounts.headers("owner1")
    admin = await accounts.headers("boss", Role.ADMIN)
    made = await make_token(accounts.client, owner, ["videos:read"])
    before = await snapshot(services)
    assert_problem(await accounts.client.delete(f"{TOKENS}/{made['id']}", headers=admin), 404)
    assert await snapshot(services) == before
    assert (await accounts.client.get(TOKENS, headers=admin)).json()["total"] == 0
    assert (await accounts.client.get(VIDEOS, headers=bearer(made["token"]))).status_code == 200


async def test_a_disabled_owners_tokens_stop_at_once(accounts: Accounts) -> None:
    owner_id = await accounts.create("disabled1")
    owner = {"Authorization": f"Bearer {(await accounts.login('disabled1'))['access_token']}"}
    admin = await accounts.headers("boss2", Role.ADMIN)
    token = (await make_token(accounts.client, owner, ["videos:read"]))["token"]
    assert (await accounts.client.get(VIDEOS, headers=bearer(token))).status_code == 200
    patched = await accounts.client.patch(
        f"/api/v1/users/{owner_id}", headers=admin, json={"disabled": True}
    )
    assert patched.status_code == 200
    refused = await accounts.client.get(VIDEOS, headers=bearer(token))
    assert_problem(refused, 401)
    assert refused.headers["www-authenticate"] == "Bearer"
    await accounts.client.patch(
        f"/api/v1/users/{owner_id}", headers=admin, json={"disabled": False}
    )
    assert (await accounts.client.get(VIDEOS, headers=bearer(token))).status_code == 200


async def test_a_demoted_owners_write_scopes_are_403(accounts: Accounts) -> None:
    owner_id = await accounts.create("demoted1")
    owner = {"Authorization": f"Bearer {(await accounts.login('demoted1'))['access_token']}"}
    admin = await accounts.headers("boss3", Role.ADMIN)
    token = (await make_token(accounts.client, owner, ["videos:read", "videos:write"]))["token"]
    create = {"title": "before"}
    assert (
        await accounts.client.post(VIDEOS, headers=bearer(token), json=create)
    ).status_code == 201
    await accounts.client.patch(f"/api/v1/users/{owner_id}", headers=admin, json={"role": "viewer"})
    assert_problem(await accounts.client.post(VIDEOS, headers=bearer(token), json=create), 403)
    assert (await accounts.client.get(VIDEOS, headers=bearer(token))).status_code == 200


async def test_an_expired_token_is_refused(accounts: Accounts, services: Runtime) -> None:
    headers = await accounts.headers("expiring")
    made = await make_token(accounts.client, headers, ["videos:read"], expires_in_days=1)
    async with transaction(services.sessions) as session:
        await session.execute(
            update(ApiToken).values(expires_at=datetime.fromisoformat(made["created_at"]))
        )
    assert_problem(await accounts.client.get(VIDEOS, headers=bearer(made["token"])), 401)


@pytest.mark.parametrize(
    "value",
    ["fl_", "fl_" + "A" * 43, "fl_" + "x" * 500, "fl_\u00e9t\u00e9"],
    ids=["empty", "unknown", "oversized", "non-ascii"],
)
async def test_unknown_or_malformed_tokens_are_401(accounts: Accounts, value: str) -> None:
    answer = await accounts.client.get(
        VIDEOS, headers={"Authorization": f"Bearer {value}".encode()}
    )
    assert_problem(answer, 401)


async def test_last_used_is_recorded_and_not_rewritten_within_a_minute(
    accounts: Accounts, services: Runtime
) -> None:
    headers = await accounts.headers("toucher")
    made = await make_token(accounts.client, headers, ["videos:read"])
    await accounts.client.get(VIDEOS, headers=bearer(made["token"]))
    first = (await accounts.client.get(TOKENS, headers=headers)).json()["items"][0]["last_used_at"]
    assert first is not None
    await accounts.client.get(VIDEOS, headers=bearer(made["token"]))
    again = (await accounts.client.get(TOKENS, headers=headers)).json()["items"][0]["last_used_at"]
    assert again == first
    # Recorded over a minute ago (as the database and the cache both see it): written again.
    services.principal_cache.clear()
    async with transaction(services.sessions) as session:
        old = datetime.fromisoformat(first) - timedelta(minutes=2)
        await session.execute(update(ApiToken).values(last_used_at=old))
    await accounts.client.get(VIDEOS, headers=bearer(made["token"]))
    later = (await accounts.client.get(TOKENS, headers=headers)).json()["items"][0]["last_used_at"]
    assert datetime.fromisoformat(later) > datetime.fromisoformat(first)


async def test_rotating_the_jwt_key_does_not_end_api_tokens(
    accounts: Accounts, services: Runtime, settings: Settings
) -> None:
    headers = await accounts.headers("rotating")
    token = (await make_token(accounts.client, headers, ["videos:read"]))["token"]
    (settings.secrets_dir / "SECRET_KEY").write_text(generate_keyring_value("jwt") + "\n")
    services.reload_secrets()
    assert_problem(await accounts.client.get(ME, headers=headers), 401)  # the old key is gone
    assert (await accounts.client.get(VIDEOS, headers=bearer(token))).status_code == 200


async def test_live_tokens_per_user_are_bounded(accounts: Accounts, services: Runtime) -> None:
    headers = await accounts.headers("hoarder")
    for _ in range(50):
        await make_token(accounts.client, headers, ["analyze"])
    before = await snapshot(services)
    answer = await accounts.client.post(
        TOKENS, headers=headers, json={"name": "one more", "scopes": ["analyze"]}
    )
    assert_problem(answer, 409)
    assert await snapshot(services) == before


async def test_all_scopes_of_an_editor(accounts: Accounts) -> None:
    headers = await accounts.headers("editor9")
    assert (await make_token(accounts.client, headers, ALL_SCOPES))["scopes"] == ALL_SCOPES
