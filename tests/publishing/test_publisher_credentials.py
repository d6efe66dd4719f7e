"""Publisher credentials in the database: sealed, bound to their row, validated, audited."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from sqlalchemy import event, select, text, update
from typer.testing import CliRunner

from faceless.cli.main import app as cli
from faceless.crypto.aead import DecryptionError
from faceless.db.base import Base
from faceless.db.session import transaction
from faceless.keys.service import rotate_data_keys
from faceless.models import AuditEvent, PublisherCredential
from faceless.publishing.credentials import (
    CredentialsError,
    get_credentials,
    parse_credentials,
    set_credentials,
)
from faceless.runtime.container import Runtime, build_runtime
from faceless.settings import Settings
from tests.conftest import cli_env, make_settings
from tests.keys.test_rotate import _key, write_data_keys

TABLE = Base.metadata.tables["publisher_credentials"]


def youtube_values(tag: str = "a") -> dict[str, str]:
    return {
        "client_id": f"WalrusClientId-{tag}.apps.example",
        "client_secret": f"WalrusClientSecret-{tag}-0123456789",
        "refresh_token": f"WalrusRefreshToken-{tag}-abcdefghij",
    }


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Runtime]:
    built = build_runtime(settings)  # embedded queue, never started
    try:
        yield built
    finally:
        await built.close()


async def store(services: Runtime, account: str, values: dict[str, str]) -> uuid.UUID:
    async with transaction(services.sessions) as session:
        row = await set_credentials(
            session, provider="youtube", account=account, values=values, actor_id=None, ctx=None
        )
        return row.id


async def stored_rows(services: Runtime) -> list[tuple[str, str, str, str]]:
    """Exactly what the table holds: Core on the bare table, no ORM events."""
    async with transaction(services.sessions) as session:
        rows = await session.execute(
            select(TABLE.c.id, TABLE.c.provider, TABLE.c.account, TABLE.c.credentials).order_by(
                TABLE.c.account
            )
        )
        return [(str(r[0]), r[1], r[2], r[3]) for r in rows]


async def audit_targets(services: Runtime) -> list[str | None]:
    async with transaction(services.sessions) as session:
        rows = await session.scalars(
            select(AuditEvent.target)
            .where(AuditEvent.action == "publisher.credentials_set")
            .order_by(AuditEvent.id)
        )
        return list(rows)


async def test_stored_as_an_envelope_and_read_back(services: Runtime) -> None:
    values = youtube_values()
    sent: list[str] = []

    def spy(_conn: object, _cursor: object, statement: str, parameters: object, *_: object) -> None:
        sent.append(f"{statement} {parameters!r}")

    event.listen(services.engine.sync_engine, "before_cursor_execute", spy)
    try:
        row_id = await store(services, "Main Channel", values)
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", spy)
    # What went to the database driver: the envelope, never a value.
    assert any("INSERT INTO publisher_credentials" in s and "v1:" in s for s in sent)
    assert [s for s in sent if "Walrus" in s] == []

    ((stored_id, provider, account, sealed),) = await stored_rows(services)
    assert (stored_id, provider, account) == (str(row_id), "youtube", "Main Channel")
    kid = services.data_protection.cipher.current_kid
    assert sealed.startswith(f"v1:{kid}:")
    assert not any(v in sealed or v.lower() in sealed.lower() for v in values.values())
    assert "Walrus" not in sealed and "client_secret" not in sealed

    async with transaction(services.sessions) as session:
        assert await get_credentials(session, "youtube") == values
        row = await session.get_one(PublisherCredential, row_id)
        assert repr(row) == "PublisherCredential(provider='youtube', account='Main Channel')"
        assert orjson.loads(row.credentials) == values  # the ORM attribute holds plaintext
    assert await audit_targets(services) == ["publisher:youtube/Main Channel"]


async def test_upsert_and_the_most_recently_set_account_is_used(services: Runtime) -> None:
    async with transaction(services.sessions) as session:
        assert await get_credentials(session, "youtube") is None
    first = await store(services, "first", youtube_values("1"))
    second = await store(services, "second", youtube_values("2"))
    async with transaction(services.sessions) as session:
        assert await get_credentials(session, "youtube") == youtube_values("2")

    # Setting "first" again replaces its row (same id, new envelope) and makes it current.
    before = {r[0]: r[3] for r in await stored_rows(services)}
    assert await store(services, "first", youtube_values("1b")) == first
    after = {r[0]: r[3] for r in await stored_rows(services)}
    assert sorted(after) == sorted([str(first), str(second)])
    assert after[str(first)] != before[str(first)]
    assert after[str(second)] == before[str(second)]
    async with transaction(services.sessions) as session:
        assert await get_credentials(session, "youtube") == youtube_values("1b")
    assert await audit_targets(services) == [
        "publisher:youtube/first",
        "publisher:youtube/second",
        "publisher:youtube/first",
    ]


async def test_ciphertext_copied_to_another_row_fails_to_decrypt(services: Runtime) -> None:
    other = await store(services, "other", youtube_values("o"))
    victim = await store(services, "victim", youtube_values("v"))  # the one publishing uses
    envelopes = {r[0]: r[3] for r in await stored_rows(services)}
    async with transaction(services.sessions) as session:
        await session.execute(
            update(PublisherCredential)
            .where(PublisherCredential.id == victim)
            .values(credentials=envelopes[str(other)])
        )

    async with transaction(services.sessions) as session:
        with pytest.raises(DecryptionError) as caught:
            await get_credentials(session, "youtube")
    assert str(caught.value) == (
        f"cannot decrypt publisher_credentials.credentials of row {victim}: "
        "authentication failed (tampered, or copied from another row or column)"
    )
    assert "Walrus" not in str(caught.value)
    async with transaction(services.sessions) as session:
        row = await session.get_one(PublisherCredential, other)  # the source still reads
        assert orjson.loads(row.credentials) == youtube_values("o")


INVALID = {
    "not json": ("{client_id: 1", "not valid JSON"),
    "not an object": ('["WalrusA", "WalrusB", "WalrusC"]', "must be a JSON object"),
    "missing key": (
        orjson.dumps({"client_id": "WalrusA", "client_secret": "WalrusB"}).decode(),
        "missing refresh_token",
    ),
    "extra key": (
        orjson.dumps({**youtube_values(), "WalrusExtraKey": "WalrusExtraValue"}).decode(),
        "1 unexpected key(s)",
    ),
    "empty value": (
        orjson.dumps({**youtube_values(), "client_secret": "  "}).decode(),
        "client_secret must be a non-empty string",
    ),
    "not a string": (
        orjson.dumps({**youtube_values(), "refresh_token": 42}).decode(),
        "refresh_token must be a non-empty string",
    ),
}


@pytest.mark.parametrize("case", list(INVALID))
async def test_an_invalid_document_is_a_clear_error_and_changes_nothing(
    services: Runtime, case: str
) -> None:
    await store(services, "kept", youtube_values("k"))
    before, audited = await stored_rows(services), await audit_targets(services)
    document, message = INVALID[case]

    with pytest.raises(CredentialsError) as parsed:
        parse_credentials("youtube", document)
    assert message in str(parsed.value)
    assert "Walrus" not in str(parsed.value)  # keys are named, values (and stray keys) never
    if case != "not json":  # the service takes decoded values; JSON is the CLI's business
        for account in ("kept", "new"):
            async with transaction(services.sessions) as session:
                with pytest.raises(CredentialsError, match=re.escape(message)):
                    await set_credentials(
                        session,
                        provider="youtube",
                        account=account,
                        values=orjson.loads(document),
                        actor_id=None,
                        ctx=None,
                    )
    assert await stored_rows(services) == before
    assert await audit_targets(services) == audited


async def test_unknown_provider_and_bad_account_are_refused(services: Runtime) -> None:
    async with transaction(services.sessions) as session:
        with pytest.raises(CredentialsError, match="unknown publisher 'vimeo'; known: youtube"):
            await set_credentials(
                session,
                provider="vimeo",
                account="a",
                values=youtube_values(),
                actor_id=None,
                ctx=None,
            )
        with pytest.raises(CredentialsError, match="account name must be 1 to 100"):
            await set_credentials(
                session,
                provider="youtube",
                account="  ",
                values=youtube_values(),
                actor_id=None,
                ctx=None,
            )
    assert await stored_rows(services) == []


async def test_rotation_reseals_the_credentials(settings: Settings) -> None:
    old, new = _key("kid1"), _key("kid2")
    write_data_keys(settings, old)
    built = build_runtime(settings)
    try:
        row_id = await store(built, "rotated", youtube_values("r"))
    finally:
        await built.close()

    write_data_keys(settings, f"{new},{old}")
    built = build_runtime(settings)
    try:
        report = await rotate_data_keys(built.sessions, built.data_protection)
        counts = {(c.table, c.column): (c.rotated, c.failed) for c in report.columns}
        assert counts[("publisher_credentials", "credentials")] == (1, 0)
        ((_, _, _, sealed),) = await stored_rows(built)
        assert sealed.startswith("v1:kid2:")
    finally:
        await built.close()

    write_data_keys(settings, new)  # kid1 retired
    built = build_runtime(settings)
    try:
        async with transaction(built.sessions) as session:
            assert await get_credentials(session, "youtube") == youtube_values("r")
            assert (await session.get_one(PublisherCredential, row_id)).account == "rotated"
    finally:
        await built.close()


# -- the CLI ---------------------------------------------------------------------------


def test_cli_reads_stdin_stores_encrypted_and_never_echoes(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, database_url)
    values = youtube_values("cli")
    args = ["publisher", "set-credentials", "youtube", "--account", "Cli Channel"]
    result = CliRunner().invoke(
        cli, args, input=orjson.dumps(values).decode(), env=cli_env(settings)
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "stored youtube credentials for account Cli Channel\n"
    assert "Walrus" not in result.output  # stdout and stderr (the JSON logs)

    async def check() -> None:
        built = build_runtime(settings)
        try:
            ((_, provider, account, sealed),) = await stored_rows(built)
            assert (provider, account) == ("youtube", "Cli Channel")
            assert sealed.startswith("v1:") and "Walrus" not in sealed
            async with transaction(built.sessions) as session:
                assert await get_credentials(session, "youtube") == values
            assert await audit_targets(built) == ["publisher:youtube/Cli Channel"]
        finally:
            await built.close()

    asyncio.run(check())

    # A bad document: exit 2, a message naming the problem, nothing stored or echoed.
    bad = orjson.dumps({**youtube_values("bad"), "client_id": ""}).decode()
    args[-1] = "Other Channel"
    result = CliRunner().invoke(cli, args, input=bad, env=cli_env(settings))
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "error: invalid youtube credentials: client_id must be a non-empty string" in (
        result.stderr
    )
    assert "Walrus" not in result.output

    async def unchanged() -> None:
        built = build_runtime(settings)
        try:
            assert [r[2] for r in await stored_rows(built)] == ["Cli Channel"]
        finally:
            await built.close()

    asyncio.run(unchanged())

    # Only youtube is known; the values never go on the command line.
    result = CliRunner().invoke(
        cli, ["publisher", "set-credentials", "vimeo", "--account", "x"], input="{}"
    )
    assert result.exit_code == 2
    help_text = CliRunner().invoke(cli, ["publisher", "set-credentials", "--help"]).output
    assert "--client-secret" not in help_text and "--values" not in help_text


@pytest.mark.postgres
async def test_postgres_grants_match_the_policy(pg_url: str) -> None:
    from faceless.db.engine import create_engine
    from faceless.db.roles import AUDIT_ROLE, CHECKED_PRIVILEGES, RUNTIME_GROUP, runtime_policy

    engine = create_engine(pg_url)
    try:
        async with engine.connect() as conn:
            held = {
                privilege
                for privilege in CHECKED_PRIVILEGES
                if await conn.scalar(
                    text("SELECT has_table_privilege(:role, 'publisher_credentials', :p)"),
                    {"role": RUNTIME_GROUP, "p": privilege},
                )
            }
            audited = [
                await conn.scalar(
                    text(
                        "SELECT has_column_privilege(:role, 'publisher_credentials',"
                        " 'credentials', :p)"
                    ),
                    {"role": AUDIT_ROLE, "p": privilege},
                )
                for privilege in ("SELECT", "INSERT", "UPDATE")
            ]
            others = await conn.scalar(
                text(
                    "SELECT has_column_privilege(:role, 'publisher_credentials', 'account',"
                    " 'SELECT')"
                ),
                {"role": AUDIT_ROLE},
            )
    finally:
        await engine.dispose()
    assert held == runtime_policy(Base.metadata)["publisher_credentials"]
    assert held == {"SELECT", "INSERT", "UPDATE", "DELETE"}
    assert audited == [True, True, True]
    assert others is False  # object audit is on the encrypted column only
