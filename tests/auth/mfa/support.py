"""Shared by the MFA tests: a settable clock, enrollment over HTTP, raw MFA rows."""

from __future__ import annotations

from typing import Any

import httpx
import pyotp
from sqlalchemy import text

from faceless.db.session import transaction
from faceless.runtime.container import Runtime
from tests.conftest import PASSWORD, Accounts

LOGIN = "/api/v1/auth/login"
LOGIN_MFA = "/api/v1/auth/login/mfa"
TOTP = "/api/v1/auth/mfa/totp"
CONFIRM = "/api/v1/auth/mfa/totp/confirm"
ME = "/api/v1/auth/me"

# Built at run time: no password-like literal in the tests (detect-secrets).
WRONG_PASSWORD = PASSWORD[::-1]

# 12 s into a 30-second step, far from 1970: the server's "now" while a test runs.
T0 = 2_000_000_012.0


class Clock:
    """The server's TOTP clock, moved by the test: codes are checked at ``now``."""

    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def install_clock(services: Runtime, now: float = T0) -> Clock:
    clock = Clock(now)
    services.clock = clock
    return clock


def code(secret: str, at: float) -> str:
    """What an authenticator app shows at ``at`` (pyotp, independently of the server)."""
    return pyotp.TOTP(secret).at(at)


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def enroll(accounts: Accounts, username: str, clock: Clock) -> tuple[str, list[str]]:
    """Create ``username``, turn MFA on over HTTP; the secret and the recovery codes."""
    await accounts.create(username)
    auth = bearer(await accounts.login(username))
    started = await accounts.client.post(TOTP, headers=auth, json={"password": PASSWORD})
    assert started.status_code == 200, started.text
    secret: str = started.json()["secret"]
    confirmed = await accounts.client.post(
        CONFIRM, headers=auth, json={"code": code(secret, clock.now)}
    )
    assert confirmed.status_code == 200, confirmed.text
    recovery: list[str] = confirmed.json()["recovery_codes"]
    return secret, recovery


async def mfa_token(client: httpx.AsyncClient, username: str) -> str:
    response = await client.post(LOGIN, json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mfa_required"] is True and "access_token" not in body
    token: str = body["mfa_token"]
    return token


async def second_step(client: httpx.AsyncClient, token: str, one_time: str) -> httpx.Response:
    return await client.post(LOGIN_MFA, json={"mfa_token": token, "code": one_time})


async def mfa_rows(services: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """The MFA tables as stored: raw columns, not what the ORM would decrypt."""
    async with transaction(services.sessions) as session:
        totp = await session.execute(
            text(
                "SELECT user_id, secret, pending_secret, enabled_at, last_step, generation"
                " FROM totp_credentials ORDER BY user_id"
            )
        )
        recovery = await session.execute(
            text("SELECT user_id, code_hash, used_at FROM recovery_codes ORDER BY code_hash")
        )
        return {
            "totp": [tuple(row) for row in totp],
            "recovery": [tuple(row) for row in recovery],
        }
