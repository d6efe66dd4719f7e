"""MFA and the sign-in lockout, on SQLite and PostgreSQL.

Wrong codes 1-4 are 401, the 5th is the 423 and ends the mfa token; a right password
neither counts nor resets the count while MFA is active, a right code resets it; wrong
passwords and codes on the management endpoints are 400s that count the same way.
Time is driven by moving ``locked_until`` into the past, as tests/security does.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
from sqlalchemy import delete, update

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import LoginThrottle, Role
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem
from tests.auth.mfa.support import (
    CONFIRM,
    LOGIN,
    T0,
    TOTP,
    WRONG_PASSWORD,
    bearer,
    code,
    enroll,
    install_clock,
    mfa_token,
    second_step,
)
from tests.conftest import PASSWORD, Accounts

WRONG_CODE = "000000"


async def failures(services: Runtime, name: str) -> int:
    async with transaction(services.sessions) as session:
        row = await session.get(LoginThrottle, name)
        return row.failures if row else 0


async def expire_lock(services: Runtime, name: str) -> None:
    async with transaction(services.sessions) as session:
        await session.execute(
            update(LoginThrottle)
            .where(LoginThrottle.username == name)
            .values(locked_until=utcnow() - timedelta(seconds=1))
        )


async def clear_failures(services: Runtime, name: str) -> None:
    async with transaction(services.sessions) as session:
        await session.execute(delete(LoginThrottle).where(LoginThrottle.username == name))


def wrong(secret: str) -> str:
    """A well-formed code that is none of the accepted steps' (±1 around the clock)."""
    return code(secret, T0 + 3600)


async def test_fifth_wrong_code_locks_and_ends_the_mfa_token(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    secret, _ = await enroll(accounts, "lou", clock)
    client = accounts.client
    clock.now = T0 + 30
    token = await mfa_token(client, "lou")
    for attempt in range(1, 5):
        response = await second_step(client, token, wrong(secret))
        assert_problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
        assert await failures(services, "lou") == attempt
    fifth = await second_step(client, token, wrong(secret))
    assert_problem(fifth, 423)
    assert 1 <= int(fifth.headers["retry-after"]) <= 60
    right = code(secret, clock.now)
    assert_problem(await second_step(client, token, right), 401)  # the token has ended
    locked = await client.post(LOGIN, json={"username": "lou", "password": PASSWORD})
    assert_problem(locked, 423)  # like 5 wrong passwords
    await expire_lock(services, "lou")
    assert_problem(await second_step(client, token, right), 401)  # ended for good
    fresh = await second_step(client, await mfa_token(client, "lou"), right)
    assert fresh.status_code == 200, fresh.text
    assert await failures(services, "lou") == 0


async def test_a_right_password_between_guesses_does_not_reset_the_count(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    secret, _ = await enroll(accounts, "rex", clock)
    client = accounts.client
    for before in (0, 2):
        token = await mfa_token(client, "rex")
        assert await failures(services, "rex") == before  # the password neither counts nor resets
        for _ in range(2):
            assert_problem(await second_step(client, token, wrong(secret)), 401)
    assert await failures(services, "rex") == 4
    token = await mfa_token(client, "rex")
    assert await failures(services, "rex") == 4
    assert_problem(await second_step(client, token, wrong(secret)), 423)
    assert await failures(services, "rex") == 5


async def test_a_right_code_resets_the_count(accounts: Accounts, services: Runtime) -> None:
    clock = install_clock(services)
    secret, _ = await enroll(accounts, "ray", clock)
    client = accounts.client
    token = await mfa_token(client, "ray")
    for _ in range(4):
        assert_problem(await second_step(client, token, WRONG_CODE), 401)
    clock.now = T0 + 30
    assert (await second_step(client, token, code(secret, clock.now))).status_code == 200
    assert await failures(services, "ray") == 0


async def test_tokens_that_are_no_live_mfa_token_are_401_and_count_nothing(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    secret, _ = await enroll(accounts, "ted", clock)
    admin = await accounts.headers("boss", Role.ADMIN)
    client = accounts.client
    access = (await accounts.login("boss"))["access_token"]
    token = await mfa_token(client, "ted")
    right = code(secret, T0 + 30)
    for forged in (access, token[:-4] + "AAAA", "x" * 40):
        assert_problem(await second_step(client, forged, right), 401)
    assert await failures(services, "ted") == 0
    # A disabled user's mfa token stops.
    users = await client.get("/api/v1/users", headers=admin)
    ted = next(u for u in users.json()["items"] if u["username"] == "ted")
    disabled = await client.patch(
        f"/api/v1/users/{ted['id']}", headers=admin, json={"disabled": True}
    )
    assert disabled.status_code == 200
    clock.now = T0 + 30
    assert_problem(await second_step(client, token, right), 401)


async def test_wrong_password_or_code_on_management_counts_toward_the_lockout(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    await accounts.create("meg")
    auth = bearer(await accounts.login("meg"))
    client = accounts.client
    for _ in range(3):
        assert_problem(
            await client.post(TOTP, headers=auth, json={"password": WRONG_PASSWORD}), 400
        )
    started = await client.post(TOTP, headers=auth, json={"password": PASSWORD})
    assert started.status_code == 200
    assert await failures(services, "meg") == 0  # MFA not active yet: the password resets
    secret = started.json()["secret"]
    for _ in range(5):
        bad = await client.post(CONFIRM, headers=auth, json={"code": wrong(secret)})
        assert_problem(bad, 400)
    refused = await client.post(CONFIRM, headers=auth, json={"code": code(secret, clock.now)})
    assert_problem(refused, 423)
    assert 1 <= int(refused.headers["retry-after"]) <= 60


async def test_with_mfa_active_a_right_password_change_keeps_the_count(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    clock = install_clock(services)
    secret, _ = await enroll(accounts, "pia", clock)
    clock.now = T0 + 30
    signed_in = await second_step(client, await mfa_token(client, "pia"), code(secret, clock.now))
    auth = bearer(signed_in.json())
    for _ in range(2):
        assert_problem(await second_step(client, await mfa_token(client, "pia"), WRONG_CODE), 401)
    changed = await client.post(
        "/api/v1/users/me/password",
        headers=auth,
        json={"current_password": PASSWORD, "new_password": PASSWORD + " 7"},
    )
    assert changed.status_code == 204
    assert await failures(services, "pia") == 2


async def test_one_code_sent_at_once_on_many_sign_ins_is_accepted_once(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    secret, recovery = await enroll(accounts, "zed", clock)
    client = accounts.client
    clock.now = T0 + 30
    tokens = [await mfa_token(client, "zed") for _ in range(4)]
    answers = await asyncio.gather(
        *(second_step(client, token, code(secret, clock.now)) for token in tokens)
    )
    assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]
    # The losers are failures (a replayed code is a wrong one) and may have been counted
    # after the winner reset the count: start each round from none.
    await clear_failures(services, "zed")
    tokens = [await mfa_token(client, "zed") for _ in range(3)]
    answers = await asyncio.gather(*(second_step(client, t, recovery[0]) for t in tokens))
    assert sorted(a.status_code for a in answers) == [200, 401, 401]
    await clear_failures(services, "zed")
    # One mfa token, two right codes at once: one session.
    token = await mfa_token(client, "zed")
    answers = await asyncio.gather(
        second_step(client, token, recovery[1]), second_step(client, token, recovery[2])
    )
    assert sorted(a.status_code for a in answers) == [200, 401]
