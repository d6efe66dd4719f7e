"""TOTP over HTTP, on SQLite and PostgreSQL: enrollment, the second sign-in step, replay,
recovery codes, skew, disabling; the secret is ciphertext in the database.

The server's TOTP clock is fixed by the test (``support.install_clock``) and the codes
come from pyotp at explicit times, so no test depends on when it runs.
"""

from __future__ import annotations

import jwt
from sqlalchemy import select

from faceless.db.session import transaction
from faceless.models import AuditEvent
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem
from tests.auth.mfa.support import (
    CONFIRM,
    LOGIN,
    ME,
    T0,
    TOTP,
    WRONG_PASSWORD,
    bearer,
    code,
    enroll,
    install_clock,
    mfa_rows,
    mfa_token,
    second_step,
)
from tests.conftest import PASSWORD, Accounts


async def audit_trail(services: Runtime, *actions: str) -> list[tuple[str, str]]:
    async with transaction(services.sessions) as session:
        rows = await session.execute(
            select(AuditEvent.action, AuditEvent.outcome)
            .where(AuditEvent.action.in_(actions))
            .order_by(AuditEvent.id)
        )
        return [(action, outcome) for action, outcome in rows]


async def test_enrollment_needs_the_password_and_a_first_code(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    await accounts.create("mia")
    auth = bearer(await accounts.login("mia"))
    client = accounts.client
    wrong = await client.post(TOTP, headers=auth, json={"password": WRONG_PASSWORD})
    assert_problem(wrong, 400)
    assert await mfa_rows(services) == {"totp": [], "recovery": []}
    assert_problem(await client.post(TOTP, headers=auth, json={}), 422)
    assert_problem(await client.post(CONFIRM, headers=auth, json={"code": "123456"}), 409)

    started = await client.post(TOTP, headers=auth, json={"password": PASSWORD})
    assert started.status_code == 200 and started.headers["cache-control"] == "no-store"
    secret = started.json()["secret"]
    assert started.json()["otpauth_uri"].startswith("otpauth://totp/FacelessYouTube:mia?")
    assert f"secret={secret}" in started.json()["otpauth_uri"]
    # Not active yet: the password alone still signs in.
    assert (
        "access_token"
        in (await client.post(LOGIN, json={"username": "mia", "password": PASSWORD})).json()
    )

    before = await mfa_rows(services)
    bad = await client.post(CONFIRM, headers=auth, json={"code": code(secret, T0 + 90)})
    assert_problem(bad, 400)
    assert await mfa_rows(services) == before
    confirmed = await client.post(CONFIRM, headers=auth, json={"code": code(secret, clock.now)})
    assert confirmed.status_code == 200 and confirmed.headers["cache-control"] == "no-store"
    recovery = confirmed.json()["recovery_codes"]
    assert len(recovery) == len(set(recovery)) == 10
    again = await client.post(TOTP, headers=auth, json={"password": PASSWORD})
    assert_problem(again, 409)
    assert await audit_trail(services, "auth.mfa_enabled") == [
        ("auth.mfa_enabled", "failure"),
        ("auth.mfa_enabled", "failure"),
        ("auth.mfa_enabled", "success"),
    ]


async def test_secret_and_recovery_codes_are_never_stored_as_given(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    secret, recovery = await enroll(accounts, "sam", clock)
    rows = await mfa_rows(services)
    ((_, stored, pending, enabled_at, last_step, _),) = rows["totp"]
    assert stored.startswith("v1:") and secret not in stored and pending is None
    assert enabled_at is not None and last_step == int(T0 // 30)
    assert len(rows["recovery"]) == 10
    flat = repr(rows)
    for one in recovery:
        assert one not in flat and one.replace("-", "") not in flat


async def test_sign_in_needs_a_code_once_and_a_recovery_code_once(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    secret, recovery = await enroll(accounts, "nia", clock)
    client = accounts.client
    response = await client.post(LOGIN, json={"username": "nia", "password": PASSWORD})
    body = response.json()
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert body["mfa_required"] is True and body["expires_in"] == 300
    assert set(body) == {"mfa_required", "mfa_token", "expires_in"}
    token = body["mfa_token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 300
    # The mfa token is no access token: 401 everywhere else.
    assert_problem(await client.get(ME, headers={"Authorization": f"Bearer {token}"}), 401)

    clock.now = T0 + 30  # the code confirmed at T0 is spent: the next step's
    signed_in = await second_step(client, token, code(secret, clock.now))
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.headers["cache-control"] == "no-store"
    me = await client.get(ME, headers=bearer(signed_in.json()))
    assert me.status_code == 200 and me.json()["username"] == "nia"
    # The mfa token was spent by the sign-in it completed.
    assert_problem(await second_step(client, token, code(secret, clock.now + 30)), 401)

    replay = await second_step(client, await mfa_token(client, "nia"), code(secret, clock.now))
    assert_problem(replay, 401)
    older = await second_step(client, await mfa_token(client, "nia"), code(secret, T0))
    assert_problem(older, 401)

    spelled = recovery[3].upper().replace("-", " ")
    with_recovery = await second_step(client, await mfa_token(client, "nia"), spelled)
    assert with_recovery.status_code == 200, with_recovery.text
    reused = await second_step(client, await mfa_token(client, "nia"), recovery[3])
    assert_problem(reused, 401)
    another = await second_step(client, await mfa_token(client, "nia"), recovery[4])
    assert another.status_code == 200
    assert await audit_trail(services, "auth.mfa_failed", "auth.login") == [
        ("auth.login", "success"),  # enroll() signed in before MFA was on
        ("auth.login", "success"),
        ("auth.mfa_failed", "failure"),
        ("auth.mfa_failed", "failure"),
        ("auth.login", "success"),
        ("auth.mfa_failed", "failure"),
        ("auth.login", "success"),
    ]


async def test_one_step_of_clock_skew_either_way_and_no_more(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    secret, _ = await enroll(accounts, "kai", clock)
    client = accounts.client
    clock.now = T0 + 300  # well past the step confirmed at enrollment
    for offset in (-60, 60, -90, 90):
        refused = await second_step(
            client, await mfa_token(client, "kai"), code(secret, clock.now + offset)
        )
        assert_problem(refused, 401)
    for offset in (-30, 0, 30):  # ascending: each step is later than the last accepted
        accepted = await second_step(
            client, await mfa_token(client, "kai"), code(secret, clock.now + offset)
        )
        assert accepted.status_code == 200, (offset, accepted.text)


async def test_disabling_needs_the_password_and_a_code(
    accounts: Accounts, services: Runtime
) -> None:
    clock = install_clock(services)
    secret, recovery = await enroll(accounts, "dee", clock)
    client = accounts.client
    clock.now = T0 + 30
    tokens = await second_step(client, await mfa_token(client, "dee"), code(secret, clock.now))
    auth = bearer(tokens.json())
    clock.now = T0 + 60
    before = await mfa_rows(services)
    for body in (
        {"password": WRONG_PASSWORD, "code": code(secret, clock.now)},
        {"password": PASSWORD, "code": code(secret, T0 + 300)},
        {"password": PASSWORD, "code": "aaaa-bbbb-cccc-dddd"},
    ):
        assert_problem(await client.request("DELETE", TOTP, headers=auth, json=body), 400)
    assert_problem(await client.request("DELETE", TOTP, headers=auth, json={"code": "1"}), 422)
    assert await mfa_rows(services) == before
    disabled = await client.request(
        "DELETE", TOTP, headers=auth, json={"password": PASSWORD, "code": recovery[0]}
    )
    assert disabled.status_code == 204, disabled.text
    rows = await mfa_rows(services)
    assert rows["recovery"] == [] and rows["totp"][0][1] is None and rows["totp"][0][3] is None
    plain = await client.post(LOGIN, json={"username": "dee", "password": PASSWORD})
    assert plain.status_code == 200 and "access_token" in plain.json()
    gone = await client.request(
        "DELETE", TOTP, headers=auth, json={"password": PASSWORD, "code": code(secret, clock.now)}
    )
    assert_problem(gone, 409)
    assert await audit_trail(services, "auth.mfa_disabled") == [
        ("auth.mfa_disabled", "failure"),
        ("auth.mfa_disabled", "failure"),
        ("auth.mfa_disabled", "failure"),
        ("auth.mfa_disabled", "success"),
    ]
