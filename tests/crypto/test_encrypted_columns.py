"""Encrypted columns on real SQLite and PostgreSQL: what reaches the disk, and tampering."""

from __future__ import annotations

import uuid

import httpx
import pytest
from sqlalchemy import Text, select, text, type_coerce, update
from sqlalchemy.exc import StatementError

from faceless.crypto.aead import DecryptionError
from faceless.db.encryption import PlaintextRefusedError
from faceless.db.session import transaction
from faceless.models import Job, Role, User, Video
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem
from tests.conftest import Accounts
from tests.crypto.support import (
    assert_readable,
    raw_database_bytes,
    scan,
    seed,
    stored_values,
)


async def test_database_holds_only_envelopes(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await accounts.headers("root", Role.ADMIN)
    seeded = await seed(services, client, admin)
    await assert_readable(client, admin, seeded)

    kid = services.data_protection.cipher.current_kid
    stored = await stored_values(services)
    for name, rows in stored.items():
        assert rows, name
        for row_id, value in rows:
            if value is not None:
                assert value.startswith(f"v1:{kid}:"), (name, row_id)
    everything = repr(stored)
    assert [s for s in seeded.secrets if s.lower() in everything.lower()] == []
    # Not even the words of the plaintext reach the table files.
    disk = await raw_database_bytes(services)
    assert scan(disk, [*seeded.secrets, "WOMBAT", "PANGOLIN", "Private.Person"]) == []
    # ...while unencrypted columns are there in the clear (the scan itself works).
    assert scan(disk, ["writera", "video 1"]) == ["writera", "video 1"]

    async with transaction(services.sessions) as session:
        index = await session.scalar(
            select(User.email_index).where(User.id == uuid.UUID(seeded.user_id))
        )
    assert index is not None and len(index) == 64 and seeded.email not in index


async def test_swapped_ciphertext_is_a_clear_error(
    accounts: Accounts, services: Runtime, client: httpx.AsyncClient
) -> None:
    admin = await accounts.headers("root", Role.ADMIN)
    seeded = await seed(services, client, admin)
    first, second = (uuid.UUID(v) for v in seeded.video_ids[:2])
    user_id, job_id = uuid.UUID(seeded.user_id), uuid.UUID(seeded.job_id)
    stored = await stored_values(services)
    script = dict(stored["videos.script"])
    email = dict(stored["users.email"])[seeded.user_id]
    assert email is not None
    async with transaction(services.sessions) as session:
        # Two rows swap their scripts; a user's e-mail envelope lands in a job result.
        await session.execute(
            update(Video).where(Video.id == first).values(script=script[str(second)])
        )
        await session.execute(
            update(Video).where(Video.id == second).values(script=script[str(first)])
        )
        await session.execute(update(Job).where(Job.id == job_id).values(result=email))

    async with transaction(services.sessions) as session:
        with pytest.raises(DecryptionError) as caught:
            await session.get(Video, first)
        assert str(caught.value) == (
            f"cannot decrypt videos.script of row {first}: "
            "authentication failed (tampered, or copied from another row or column)"
        )
    async with transaction(services.sessions) as session:
        with pytest.raises(DecryptionError, match=f"jobs.result of row {job_id}"):
            await session.get(Job, job_id)
    async with transaction(services.sessions) as session:
        assert (await session.get(User, user_id)) is not None  # untouched rows still read

    # Through the API: the generic 500 problem, never another row's plaintext.
    login = await client.post(
        "/api/v1/auth/login", json={"username": "writera", "password": "correct horse battery 42"}
    )
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    app = client._transport.app  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=str(client.base_url)) as raw:
        response = await raw.get(f"/api/v1/videos/{first}", headers=auth)
    body = assert_problem(response, 500)
    assert "WOMBAT" not in response.text and "decrypt" not in body["detail"]


async def test_plaintext_cannot_be_written_past_the_column_type(services: Runtime) -> None:
    async with transaction(services.sessions) as session:
        with pytest.raises(StatementError) as caught:
            await session.execute(update(Video).values(script="raw text"))
        assert isinstance(caught.value.orig, PlaintextRefusedError)
        # The guard is the column type: a deliberate raw write (as in a legacy row) needs
        # type_coerce, and then the application refuses to read it.
        await session.execute(
            update(Job).values(result=type_coerce("plain", Text())).where(text("1 = 0"))
        )


async def test_duplicate_email_any_case_is_409(
    accounts: Accounts, client: httpx.AsyncClient
) -> None:
    admin = await accounts.headers("root", Role.ADMIN)
    body = {"password": "long enough secret 1", "role": "viewer"}
    first = await client.post(
        "/api/v1/users", headers=admin, json={**body, "username": "one", "email": "Dup@Mail.test"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["email"] == "dup@mail.test"
    again = await client.post(
        "/api/v1/users", headers=admin, json={**body, "username": "two", "email": "DUP@mail.TEST"}
    )
    assert_problem(again, 409)
    other = await client.post(
        "/api/v1/users",
        headers=admin,
        json={**body, "username": "three", "email": "dup2@mail.test"},
    )
    assert other.status_code == 201, other.text
