"""``faceless keys rotate``: key 1 -> key 2, key 1 retired, everything still reads."""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Text, select, text, type_coerce, update
from typer.testing import CliRunner

from faceless.cli.main import app as cli
from faceless.crypto.aead import DecryptionError
from faceless.db.session import transaction
from faceless.keys.service import RotationReport, rotate_data_keys
from faceless.models import AuditEvent, Role, User, Video
from faceless.runtime.container import Runtime
from faceless.settings import Settings
from faceless.users import repository as users_repository
from tests.api.helpers import assert_problem
from tests.auth.mfa.support import (
    T0,
    TOTP,
    code,
    enroll,
    install_clock,
    mfa_token,
    second_step,
)
from tests.conftest import PASSWORD, Accounts, cli_env, make_settings, running_app
from tests.crypto.support import Seeded, assert_readable, seed, stored_values


def _key(kid: str) -> str:
    return f"{kid}:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def write_data_keys(settings: Settings, value: str) -> None:
    directory = settings.secrets_dir
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "DATA_ENCRYPTION_KEY"
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")


async def _admin(client: httpx.AsyncClient) -> dict[str, str]:
    login = await client.post("/api/v1/auth/login", json={"username": "root", "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def _counts(report: RotationReport) -> dict[str, tuple[int, int, int, int]]:
    return {
        f"{c.table}.{c.column}": (c.rotated, c.sealed, c.raced, c.failed) for c in report.columns
    }


async def _rotations(services: Runtime) -> list[tuple[str, str | None]]:
    async with transaction(services.sessions) as session:
        rows = await session.execute(
            select(AuditEvent.outcome, AuditEvent.target)
            .where(AuditEvent.action == "keys.rotate")
            .order_by(AuditEvent.id)
        )
        return [(r.outcome, r.target) for r in rows]


async def test_rotate_to_new_key_then_retire_the_old_one(settings: Settings) -> None:
    old, new = _key("kid1"), _key("kid2")
    write_data_keys(settings, old)
    async with running_app(settings) as (services, client):
        admin = await Accounts(services, client).headers("root", Role.ADMIN)
        seeded: Seeded = await seed(services, client, admin)

    write_data_keys(settings, f"{new},{old}")
    async with running_app(settings) as (services, client):
        admin = await _admin(client)
        await assert_readable(client, admin, seeded)  # old values read before rotation
        # One value the application rewrites under kid2 first: rotation leaves it alone.
        seeded.scripts[0] = "Rewritten after the new key arrived: WOMBAT"
        writer = await client.post(
            "/api/v1/auth/login", json={"username": "writera", "password": PASSWORD}
        )
        auth = {"Authorization": f"Bearer {writer.json()['access_token']}"}
        patched = await client.patch(
            f"/api/v1/videos/{seeded.video_ids[0]}",
            headers=auth,
            json={"script": seeded.scripts[0]},
        )
        assert patched.status_code == 200, patched.text

        report = await rotate_data_keys(services.sessions, services.data_protection, batch_size=2)
        assert report.ok and report.current_kid == "kid2"
        assert _counts(report) == {
            "jobs.result": (1, 0, 0, 0),
            "publisher_credentials.credentials": (0, 0, 0, 0),
            "totp_credentials.pending_secret": (0, 0, 0, 0),
            "totp_credentials.secret": (0, 0, 0, 0),
            "users.email": (1, 0, 0, 0),  # root has no e-mail
            "videos.script": (2, 0, 0, 0),
        }
        # Resumable and idempotent: nothing is left under the old key.
        again = await rotate_data_keys(services.sessions, services.data_protection, batch_size=2)
        assert {k: v[0] for k, v in _counts(again).items()} == dict.fromkeys(_counts(again), 0)
        assert await _rotations(services) == [
            ("success", "data-key:kid2 resealed=4 failed=0"),
            ("success", "data-key:kid2 resealed=0 failed=0"),
        ]
        for rows in (await stored_values(services)).values():
            assert all(v is None or v.startswith("v1:kid2:") for _, v in rows)

    write_data_keys(settings, new)  # kid1 retired
    async with running_app(settings) as (services, client):
        admin = await _admin(client)
        await assert_readable(client, admin, seeded)
        duplicate = await client.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": "copycat",
                "password": PASSWORD,
                "role": "viewer",
                "email": seeded.email.upper(),
            },
        )
        assert_problem(duplicate, 409)


async def _totp_values(services: Runtime) -> list[tuple[str | None, str | None]]:
    async with transaction(services.sessions) as session:
        rows = await session.execute(
            text("SELECT secret, pending_secret FROM totp_credentials ORDER BY user_id")
        )
        return [(row[0], row[1]) for row in rows]


async def test_rotation_reseals_totp_secrets_and_codes_still_work(settings: Settings) -> None:
    old, new = _key("kid1"), _key("kid2")
    write_data_keys(settings, old)
    async with running_app(settings) as (services, client):
        accounts = Accounts(services, client)
        clock = install_clock(services)
        secret, _ = await enroll(accounts, "twofa", clock)
        pending_auth = await accounts.headers("halfway")
        started = await client.post(TOTP, headers=pending_auth, json={"password": PASSWORD})
        assert started.status_code == 200, started.text

    write_data_keys(settings, f"{new},{old}")
    async with running_app(settings) as (services, _client):
        report = await rotate_data_keys(services.sessions, services.data_protection)
        assert report.ok
        counts = _counts(report)
        assert counts["totp_credentials.secret"] == (1, 0, 0, 0)
        assert counts["totp_credentials.pending_secret"] == (1, 0, 0, 0)
        values = [v for row in await _totp_values(services) for v in row if v is not None]
        assert len(values) == 2 and all(v.startswith("v1:kid2:") for v in values)

    write_data_keys(settings, new)  # kid1 retired: the secret opens under kid2 alone
    async with running_app(settings) as (services, client):
        clock = install_clock(services, T0 + 30)
        signed_in = await second_step(
            client, await mfa_token(client, "twofa"), code(secret, clock.now)
        )
        assert signed_in.status_code == 200, signed_in.text


async def test_rotation_seals_legacy_plaintext_and_names_what_it_cannot_open(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await accounts.headers("root", Role.ADMIN)
    seeded = await seed(services, client, admin)
    legacy_video, lost_video = (uuid.UUID(v) for v in seeded.video_ids[:2])
    user_id = uuid.UUID(seeded.user_id)
    async with transaction(services.sessions) as session:
        # Rows as they were before migration 0002: plaintext and no blind index.
        raw = type_coerce("Legacy Script Text", Text())
        await session.execute(update(Video).where(Video.id == legacy_video).values(script=raw))
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(email=type_coerce("legacy@old.example", Text()), email_index=None)
        )
        # ...and one sealed under a key that is no longer in the ring.
        gone = "v1:gone:" + base64.urlsafe_b64encode(bytes(40)).decode().rstrip("=")
        await session.execute(update(Video).where(Video.id == lost_video).values(script=gone))

    async with transaction(services.sessions) as session:
        with pytest.raises(DecryptionError, match="not an encrypted envelope"):
            await session.get(Video, legacy_video)
        assert not await users_repository.email_taken(session, "legacy@old.example")

    report = await rotate_data_keys(services.sessions, services.data_protection)
    assert not report.ok
    assert _counts(report) == {
        "jobs.result": (0, 0, 0, 0),
        "publisher_credentials.credentials": (0, 0, 0, 0),
        "totp_credentials.pending_secret": (0, 0, 0, 0),
        "totp_credentials.secret": (0, 0, 0, 0),
        "users.email": (0, 1, 0, 0),
        "videos.script": (0, 1, 0, 1),
    }
    (failure,) = [m for c in report.columns for m in c.failures]
    assert (
        failure
        == f"cannot decrypt videos.script of row {lost_video}: key id 'gone' is not in the keyring"
    )
    assert await _rotations(services) == [
        ("failure", f"data-key:{report.current_kid} resealed=2 failed=1")
    ]

    async with transaction(services.sessions) as session:
        video = await session.get(Video, legacy_video)
        assert video is not None and video.script == "Legacy Script Text"
        assert await users_repository.email_taken(session, "LEGACY@old.example")
    stored = dict((await stored_values(services))["videos.script"])
    sealed = stored[str(legacy_video)]
    assert sealed is not None and sealed.startswith("v1:")
    assert stored[str(lost_video)] == gone  # never overwritten


def test_cli_rotate_reports_counts(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(tmp_path, database_url)
    result = CliRunner().invoke(
        cli, ["keys", "rotate", "--batch-size", "10"], env=cli_env(settings)
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("current key: dev-")
    assert lines[1].split() == ["table.column", "rotated", "sealed", "raced", "failed"]
    assert [line.split() for line in lines[2:]] == [
        [name, "0", "0", "0", "0"]
        for name in (
            "jobs.result",
            "publisher_credentials.credentials",
            "totp_credentials.pending_secret",
            "totp_credentials.secret",
            "users.email",
            "videos.script",
        )
    ]


async def test_a_retired_key_stops_reads_at_once_though_its_values_were_opened(
    settings: Settings,
) -> None:
    """What a cipher remembers (ADR 0030) goes with its keyring: after ``secrets reload``
    drops kid1, a value under kid1 that was read a moment ago is refused, not served."""
    old, new = _key("kid1"), _key("kid2")
    write_data_keys(settings, old)
    async with running_app(settings) as (services, client):
        admin = await Accounts(services, client).headers("root", Role.ADMIN)
        seeded: Seeded = await seed(services, client, admin)
        writer = await client.post(
            "/api/v1/auth/login", json={"username": "writera", "password": PASSWORD}
        )
        auth = {"Authorization": f"Bearer {writer.json()['access_token']}"}
        for _ in range(2):
            listing = await client.get("/api/v1/videos", headers=auth)
            assert listing.status_code == 200, listing.text
            assert sorted(v["script"] for v in listing.json()["items"]) == sorted(seeded.scripts)

        write_data_keys(settings, new)
        services.reload_secrets()
        with pytest.raises(DecryptionError, match="'kid1' is not in the keyring"):
            await client.get("/api/v1/videos", headers=auth)
