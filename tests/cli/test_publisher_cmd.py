"""``faceless publisher check`` against the fake of Google (tests.publishing.fake_youtube):
exit 0 usable, 1 refused, 2 unreachable; the outcome is what readiness reports next."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from faceless.cli.main import app as cli
from faceless.db.session import transaction
from faceless.publishing.credentials import set_credentials
from faceless.publishing.status import credentials_state
from faceless.runtime.container import build_runtime
from faceless.settings import Settings
from tests.conftest import cli_env, make_settings
from tests.fixtures import free_port
from tests.publishing.fake_youtube import FakeYouTube, Fault, fake_youtube, fresh_credentials

CREDENTIALS = fresh_credentials()


@pytest.fixture
def google() -> Iterator[FakeYouTube]:
    with fake_youtube(**CREDENTIALS) as fake:
        yield fake


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(tmp_path, database_url)


def store(settings: Settings) -> None:
    async def run() -> None:
        built = build_runtime(settings)
        try:
            async with transaction(built.sessions) as session:
                await set_credentials(
                    session,
                    provider="youtube",
                    account="channel",
                    values=CREDENTIALS,
                    actor_id=None,
                    ctx=None,
                )
        finally:
            await built.close()

    asyncio.run(run())


def state(settings: Settings) -> str:
    async def run() -> str:
        built = build_runtime(settings)
        try:
            async with transaction(built.sessions) as session:
                return await credentials_state(session, built.publisher)
        finally:
            await built.close()

    return asyncio.run(run())


def check(settings: Settings, urls: dict[str, str]) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["publisher", "check"], env={**cli_env(settings), **urls})
    assert not any(value in result.output for value in CREDENTIALS.values())
    return result.exit_code, result.output


def test_usable_refused_and_unreachable(settings: Settings, google: FakeYouTube) -> None:
    code, output = check(settings, google.settings_env())
    assert (code, "nothing to check" in output) == (0, True)  # the outbox: no credentials
    store(settings)

    code, output = check(settings, google.settings_env())
    assert code == 0, output
    assert "youtube account channel: credentials usable" in output
    assert len(google.token_requests) == 1

    google.revoked = True
    code, output = check(settings, google.settings_env())
    assert code == 1, output
    assert "invalid_grant" in output
    assert state(settings) == "credentials_invalid"

    google.fail("token", Fault(503))
    code, output = check(settings, google.settings_env())
    assert code == 2, output
    assert state(settings) == "credentials_invalid"  # unknown now: the last answer stands

    nobody = f"http://127.0.0.1:{free_port()}"
    code, output = check(
        settings,
        {"YOUTUBE_TOKEN_URL": f"{nobody}/token", "YOUTUBE_API_BASE_URL": nobody},
    )
    assert code == 2, output

    google.revoked = False  # access granted again
    code, output = check(settings, google.settings_env())
    assert code == 0, output
    assert state(settings) == "ok"
