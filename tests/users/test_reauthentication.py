"""Re-authentication: a wrong ``current_password`` counts toward the sign-in lockout.

A stolen session must not be able to guess its owner's password faster than the
sign-in form allows: each wrong current password is one failure of the same per-
account count as login (the 5th starts the lock, then 423 with ``Retry-After``, for
the password change and for login alike), and each is audited as a failure of
``user.password_change`` in a transaction of its own, though the request is refused.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import select, update

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import AuditEvent, LoginThrottle, Role
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem
from tests.conftest import PASSWORD, Accounts

CHANGE = "/api/v1/users/me/password"
LOGIN = "/api/v1/auth/login"
WRONG = "not the password 77"
NEW = "a brand new secret 9"


async def audit_of(services: Runtime, action: str) -> list[str]:
    async with transaction(services.sessions) as session:
        rows = await session.scalars(
            select(AuditEvent.outcome).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return list(rows)


async def throttle_failures(services: Runtime, name: str) -> int | None:
    async with transaction(services.sessions) as session:
        row = await session.get(LoginThrottle, name)
        return None if row is None else row.failures


async def expire_lock(services: Runtime, name: str) -> None:
    async with transaction(services.sessions) as session:
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.username == name)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )


async def change(
    client: httpx.AsyncClient, auth: dict[str, str], current: str, new: str = NEW
) -> httpx.Response:
    return await client.post(
        CHANGE, headers=auth, json={"current_password": current, "new_password": new}
    )


async def test_wrong_current_passwords_lock_the_account_like_login(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    auth = await accounts.headers("thief", Role.VIEWER)
    for attempt in range(1, 6):
        assert_problem(await change(client, auth, WRONG), 400)
        assert await throttle_failures(services, "thief") == attempt
    # Locked now: refused unchecked, even with the right password, here and at login.
    locked = await change(client, auth, PASSWORD)
    assert_problem(locked, 423)
    assert 0 < int(locked.headers["retry-after"]) <= 60
    login = await client.post(LOGIN, json={"username": "thief", "password": PASSWORD})
    assert_problem(login, 423)
    # Every failure was kept although each request was refused.
    assert await audit_of(services, "user.password_change") == ["failure"] * 5 + ["denied"]
    # The password never changed; once the lock ends the right one works and resets.
    await expire_lock(services, "thief")
    assert (await change(client, auth, PASSWORD)).status_code == 204
    assert await throttle_failures(services, "thief") is None
    await accounts.login("thief", NEW)


async def test_failed_logins_count_toward_the_password_change_too(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    auth = await accounts.headers("shared", Role.EDITOR)
    for _ in range(5):
        response = await client.post(LOGIN, json={"username": "shared", "password": WRONG})
        assert_problem(response, 401)
    assert_problem(await change(client, auth, PASSWORD), 423)
    assert await audit_of(services, "user.password_change") == ["denied"]


async def test_a_right_current_password_resets_the_count(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    auth = await accounts.headers("forgetful", Role.EDITOR)
    for _ in range(4):
        assert_problem(await change(client, auth, WRONG), 400)
    assert (await change(client, auth, PASSWORD)).status_code == 204
    assert await throttle_failures(services, "forgetful") is None
    assert await audit_of(services, "user.password_change") == ["failure"] * 4 + ["success"]


async def test_a_weak_new_password_is_422_and_no_guess(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    auth = await accounts.headers("weakling", Role.EDITOR)
    for current in (WRONG, PASSWORD):
        assert_problem(await change(client, auth, current, new="password1234"), 422)
    assert await throttle_failures(services, "weakling") is None
    assert await audit_of(services, "user.password_change") == []
