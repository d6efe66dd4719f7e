"""Usernames are ``[A-Za-z0-9_.-]{3,32}`` as sent, then lower-cased (API.md "Text fields").

Anything else is a 422 when an account is created and the generic 401 at login (JSON
or form), counted by the rate limiter like a wrong password, on both databases. It
used to be: KELVIN SIGN (U+212A) and padded names signing in as the plain account,
and a NUL a 500 on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from faceless.db.session import transaction
from faceless.models import AuditEvent, Role
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import PASSWORD, Accounts

USERS = "/api/v1/users"
LOGIN = "/api/v1/auth/login"
KELVIN = "\u212a"  # "K".lower() == "k", and so does this: KELVIN.lower() == "k"

# Each of these would stand for "kate" if the name were trimmed or Unicode-lower-cased.
NOT_KATE = [
    f"{KELVIN}ate",
    f"{KELVIN}ATE",
    " kate",
    "kate ",
    "kate\n",
    "kate\x00",
    "ka\x7fte",
    "kåte",
    "KATE\t",
]
MALFORMED = [*NOT_KATE, "", "ka", "k" * 33, "kate!", "ka te", "k" * 5000]


async def admin_headers(accounts: Accounts) -> dict[str, str]:
    return await accounts.headers("root", Role.ADMIN)


@pytest.mark.parametrize("username", MALFORMED)
async def test_a_malformed_username_is_a_422_at_creation(
    accounts: Accounts, services: Runtime, username: str
) -> None:
    auth = await admin_headers(accounts)
    await accounts.create("kate")
    before = await snapshot(services)
    body = {"username": username, "password": PASSWORD, "role": "viewer"}
    problem = assert_problem(await accounts.client.post(USERS, headers=auth, json=body), 422)
    assert problem["errors"][0]["loc"] == ["body", "username"]
    assert await snapshot(services) == before


async def test_a_well_formed_username_is_stored_lower_case(accounts: Accounts) -> None:
    auth = await admin_headers(accounts)
    body = {"username": "Kate.Smith-1_", "password": PASSWORD, "role": "viewer"}
    created = await accounts.client.post(USERS, headers=auth, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["username"] == "kate.smith-1_"
    await accounts.login("KATE.SMITH-1_")


@pytest.mark.parametrize(
    ("field", "value"),
    [("password", "long enough\x00secret 1"), ("email", "kate@exa\x7fmple.com")],
)
async def test_other_user_fields_refuse_control_characters(
    accounts: Accounts, services: Runtime, field: str, value: str
) -> None:
    auth = await admin_headers(accounts)
    before = await snapshot(services)
    body = {"username": "newbie", "password": PASSWORD, "role": "viewer"}
    body[field] = value
    problem = assert_problem(await accounts.client.post(USERS, headers=auth, json=body), 422)
    assert problem["errors"][0]["loc"] == ["body", field]
    assert await snapshot(services) == before


async def failed_logins(services: Runtime) -> list[str | None]:
    async with transaction(services.sessions) as session:
        query = select(AuditEvent.target).where(AuditEvent.action == "auth.login_failed")
        return list((await session.scalars(query.order_by(AuditEvent.id))).all())


def without_audit(state: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != "audit_events"}


@pytest.mark.parametrize("encoding", ["json", "form"])
async def test_a_malformed_username_at_login_is_the_generic_401(
    accounts: Accounts, services: Runtime, encoding: str
) -> None:
    await accounts.create("kate")
    before = await snapshot(services)
    remaining: list[int] = []
    for username in MALFORMED:
        credentials = {"username": username, "password": PASSWORD}
        sent = {"json": credentials} if encoding == "json" else {"data": credentials}
        response = await accounts.client.post(LOGIN, **sent)  # type: ignore[arg-type]
        body = assert_problem(response, 401)
        assert body["detail"] == "Invalid username or password.", username
        assert response.headers["www-authenticate"] == "Bearer"
        remaining.append(int(response.headers["x-ratelimit-remaining"]))
    # Counted by the login tier like any failed sign-in; no session, no lock row.
    assert remaining == list(range(remaining[0], remaining[0] - len(MALFORMED), -1))
    assert without_audit(await snapshot(services)) == without_audit(before)
    targets = await failed_logins(services)
    assert len(targets) == len(MALFORMED)
    assert all(t is not None and t.isascii() and t.isprintable() for t in targets)
    assert all(t is not None and len(t) <= len("user:") + 64 for t in targets)
    assert f"user:{ascii(KELVIN)[1:-1]}ate" in targets
    # The account itself is untouched: its own name still signs in, in any case.
    await accounts.login("kate")
    await accounts.login("KaTe")


@pytest.mark.parametrize("value", ["true", "false", 1, 0, "1", "yes", "on", 1.0])
async def test_booleans_are_json_booleans(
    accounts: Accounts, services: Runtime, value: object
) -> None:
    auth = await admin_headers(accounts)
    user_id = await accounts.create("flagged")
    before = await snapshot(services)
    problem = assert_problem(
        await accounts.client.patch(f"{USERS}/{user_id}", headers=auth, json={"disabled": value}),
        422,
    )
    assert problem["errors"][0]["loc"] == ["body", "disabled"]
    assert await snapshot(services) == before
    disabled = await accounts.client.patch(
        f"{USERS}/{user_id}", headers=auth, json={"disabled": True}
    )
    assert disabled.status_code == 200 and disabled.json()["disabled"] is True
