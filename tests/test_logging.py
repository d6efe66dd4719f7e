"""Log lines are JSON, and scrubbed of loaded secret values and token shapes."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from faceless.logging import AccessLog
from tests.auth.mfa.support import CONFIRM, LOGIN, LOGIN_MFA, TOTP
from tests.fixtures.served import USER_PASSWORD, ServedApi
from tests.fixtures.served import bearer as served_bearer
from tests.logcapture import captured_logs

SECRET = "kid1:c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    with captured_logs(secret_values=lambda: [SECRET]) as buffer:
        yield buffer


def test_secrets_and_tokens_never_reach_a_log_line(log_output: io.StringIO) -> None:
    logger = logging.getLogger("faceless.test")
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
        logger.log(level, "value %s and header Bearer %s", SECRET, JWT)
    try:
        raise RuntimeError(f"failed with {SECRET} at postgresql://app:hunter2hunter2@db/app")
    except RuntimeError:
        logger.exception("while connecting")
    output = log_output.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 4  # INFO and up
    assert SECRET not in output
    assert JWT not in output
    assert "hunter2hunter2" not in output
    assert "***" in lines[0]["event"]
    assert lines[-1]["level"] == "error"
    assert "RuntimeError" in lines[-1]["exception"]


def test_mfa_secrets_codes_and_tokens_never_reach_the_served_logs(tmp_path: Path) -> None:
    """A real ``faceless serve``: enroll, sign in with a recovery code, refresh, fail once,
    disable; then nothing secret from any of it is in the process's output."""
    env = {"RATE_LIMITS": "login=1000/minute,refresh=1000/minute"}
    secrets: list[str] = [USER_PASSWORD]
    with ServedApi(tmp_path / "var", env=env) as api:
        api.create_user(api.admin_token(), "twofa", "editor")
        auth = served_bearer(api.login("twofa"))
        with api.client() as http:
            started = http.post(TOTP, headers=auth, json={"password": USER_PASSWORD}).json()
            secret = started["secret"]
            # The server checks codes against its own clock; one step of skew covers a
            # step that turns between this line and the server's check.
            confirmed = http.post(CONFIRM, headers=auth, json={"code": pyotp.TOTP(secret).now()})
            assert confirmed.status_code == 200, confirmed.text
            recovery = confirmed.json()["recovery_codes"]
            login = {"username": "twofa", "password": USER_PASSWORD}
            mfa_token = http.post(LOGIN, json=login).json()["mfa_token"]
            refused = http.post(
                LOGIN_MFA, json={"mfa_token": mfa_token, "code": "aaaa-bbbb-cccc-dddd"}
            )
            assert refused.status_code == 401
            tokens = http.post(LOGIN_MFA, json={"mfa_token": mfa_token, "code": recovery[0]}).json()
            refreshed = http.post(
                "/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}
            ).json()
            gone = http.request(
                "DELETE",
                TOTP,
                headers=served_bearer(refreshed["access_token"]),
                json={"password": USER_PASSWORD, "code": recovery[1]},
            )
            assert gone.status_code == 204, gone.text
        output_files = [api.process.stdout_path, api.process.stderr_path]
    secrets += [secret, started["otpauth_uri"], mfa_token, *recovery]
    secrets += [code.replace("-", "") for code in recovery]
    secrets += [tokens[k] for k in ("access_token", "refresh_token")]
    secrets += [refreshed[k] for k in ("access_token", "refresh_token")]
    output = "\n".join(path.read_text() for path in output_files)
    assert "/api/v1/auth/login/mfa" in output  # the requests were logged
    assert [s for s in secrets if s in output] == []


def test_api_tokens_never_reach_a_log_line(log_output: io.StringIO) -> None:
    token = "fl_" + "Zk9-aQ_7" * 6  # the shape of security.api_tokens.new_api_token
    logging.getLogger("faceless.test").warning("script sent %s in a query string", token)
    output = log_output.getvalue()
    assert "script sent" in output
    assert token not in output and token[3:] not in output


class _CountingStream(io.StringIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        return super().write(text)


async def test_access_lines_of_one_loop_turn_leave_in_one_write(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = _CountingStream()
    monkeypatch.setattr("sys.stderr", stream)
    log = AccessLog()
    for n in range(3):
        log.emit({"event": "request", "n": n})
    assert stream.getvalue() == ""  # held until the loop turns
    await asyncio.sleep(0)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["n"] for line in lines] == [0, 1, 2]
    assert stream.writes == 1
    log.emit({"event": "request", "n": 3})
    log.flush()  # what the app's lifespan does at shutdown
    assert json.loads(stream.getvalue().splitlines()[-1])["n"] == 3


def test_an_access_line_without_a_loop_is_written_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = _CountingStream()
    monkeypatch.setattr("sys.stderr", stream)
    AccessLog().emit({"event": "request", "n": 0})
    assert json.loads(stream.getvalue()) == {"event": "request", "n": 0}
