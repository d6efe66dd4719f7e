"""Tampering the database alone can hide from the chain; the off-database export catches it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import orjson
from typer.testing import CliRunner

from faceless.cli.main import app as cli
from faceless.crypto.keys import generate_keyring_value, parse_keyring
from faceless.db.audit.head_export import HeadSigner, Outcome, export_head
from faceless.db.audit.head_file import read_export, write_export
from faceless.db.audit.verify import ChainReport, verify_chain
from faceless.models import Role
from faceless.runtime.container import Runtime, build_runtime
from faceless.settings import Settings
from tests.conftest import Accounts, cli_env, running_app
from tests.db.audit.support import append, head, rewrite_chain, tamper, truncate_tail


async def verify(services: Runtime, *, with_export: bool = True) -> ChainReport:
    async with services.read_sessions() as session:
        if not with_export:
            return await verify_chain(session)  # the database alone, as before exports
        return await verify_chain(
            session,
            head_file=services.settings.audit_head_file,
            keyring=services.data_protection.cipher.keyring,
        )


def summary(report: ChainReport) -> tuple[bool, int, int | None, str | None]:
    # ``reason`` is left out of ChainReport's ==, so compare it explicitly.
    return report.valid, report.entries, report.first_bad_id, report.reason


async def export(services: Runtime) -> Outcome:
    signer = HeadSigner(services.data_protection.cipher.keyring)
    path = services.settings.audit_head_file
    return (await export_head(services.read_sessions, signer, path)).outcome


async def test_intact_chain_with_export_verifies(bare_services: Runtime) -> None:
    await append(bare_services, 5)
    assert await export(bare_services) == Outcome.WRITTEN
    await append(bare_services, 2)  # newer than the export: fine
    assert summary(await verify(bare_services)) == (True, 7, None, None)


async def test_truncated_tail_with_rewound_head(bare_services: Runtime, superuser_url: str) -> None:
    await append(bare_services, 10)
    assert await export(bare_services) == Outcome.WRITTEN
    # A superuser deletes the last three entries and rewinds the head row to match.
    await truncate_tail(superuser_url, keep=7)
    assert (await head(bare_services))[0] == 7
    # The database alone is consistent again ...
    assert (await verify(bare_services, with_export=False)).valid
    # ... the export is not fooled.
    assert summary(await verify(bare_services)) == (False, 7, 8, "truncated tail")
    # Nor is the exporter: it keeps the evidence instead of exporting the shorter chain.
    before = read_export(bare_services.settings.audit_head_file)
    assert await export(bare_services) == Outcome.REFUSED
    assert read_export(bare_services.settings.audit_head_file) == before
    # Even once new entries pass the exported id again, entry 10 is not the exported one.
    await append(bare_services, 5)
    assert summary(await verify(bare_services)) == (False, 12, 10, "rewritten since export")


async def test_truncated_tail_without_head_rewind(
    bare_services: Runtime, superuser_url: str
) -> None:
    await append(bare_services, 6)
    await tamper(superuser_url, "DELETE FROM audit_events WHERE id > 4")
    report = await verify(bare_services, with_export=False)
    assert summary(report) == (False, 4, 5, "truncated tail")


async def test_edited_entry_is_named(bare_services: Runtime, superuser_url: str) -> None:
    await append(bare_services, 6)
    await tamper(superuser_url, "UPDATE audit_events SET target = 'nothing to see' WHERE id = 3")
    report = await verify(bare_services, with_export=False)
    assert summary(report) == (False, 2, 3, "hash mismatch")


async def test_recomputed_chain_is_caught_by_the_export(
    bare_services: Runtime, superuser_url: str
) -> None:
    await append(bare_services, 8)
    assert await export(bare_services) == Outcome.WRITTEN
    await rewrite_chain(bare_services, superuser_url, event_id=3)
    assert (await verify(bare_services, with_export=False)).valid  # internally consistent
    assert summary(await verify(bare_services)) == (False, 8, 8, "rewritten since export")
    assert await export(bare_services) == Outcome.REFUSED


def forge(path: Path, **changes: object) -> None:
    data = orjson.loads(path.read_bytes())
    data.update(changes)
    path.write_bytes(orjson.dumps(data))


async def test_forged_export_is_invalid(bare_services: Runtime) -> None:
    await append(bare_services, 4)
    assert await export(bare_services) == Outcome.WRITTEN
    path = bare_services.settings.audit_head_file
    original = path.read_bytes()
    forge(path, last_hash="ab" * 32)  # changed without the key
    forged = (False, 0, None, "export signature invalid")
    assert summary(await verify(bare_services)) == forged
    assert await export(bare_services) == Outcome.REFUSED
    # Signed under somebody else's key that claims the same kid.
    current = bare_services.data_protection.cipher.keyring.current_kid
    impostor_key = generate_keyring_value().split(":", 1)[1]
    impostor = HeadSigner(parse_keyring("K", f"{current}:{impostor_key}"))
    exported = impostor.sign(
        last_id=4, last_hash=(await head(bare_services))[1], exported_at="2026-11-23T00:00:00+00:00"
    )
    write_export(path, exported)
    assert (await verify(bare_services)).reason == "export signature invalid"
    path.write_bytes(original)
    assert (await verify(bare_services)).valid
    path.write_bytes(b"{not json")
    assert summary(await verify(bare_services)) == (False, 0, None, "export unreadable")


async def test_api_reports_the_reason(settings: Settings, superuser_url: str) -> None:
    async with running_app(settings) as (services, client):
        auth = await Accounts(services, client).headers("auditor", Role.ADMIN)
        ok = (await client.get("/api/v1/audit/verify", headers=auth)).json()
        assert ok == {"valid": True, "entries": ok["entries"]}
        assert await export(services) == Outcome.WRITTEN
        keep = ok["entries"] - 1
        await truncate_tail(superuser_url, keep=keep)
        broken = await client.get("/api/v1/audit/verify", headers=auth)
    assert broken.status_code == 200
    assert broken.json() == {
        "valid": False,
        "entries": keep,
        "first_bad_id": keep + 1,
        "reason": "truncated tail",
    }


def test_cli_export_and_verify(settings: Settings, superuser_url: str) -> None:
    async def seed() -> None:
        services = build_runtime(settings)
        try:
            await append(services, 5)
        finally:
            await services.close()

    asyncio.run(seed())
    runner, env = CliRunner(), cli_env(settings)
    exported = runner.invoke(cli, ["audit", "export-head"], env=env)
    assert exported.exit_code == 0, exported.output
    assert "entry 5" in exported.output
    intact = runner.invoke(cli, ["audit", "verify"], env=env)
    assert intact.exit_code == 0
    assert "audit chain intact: 5 entries\n" in intact.output
    asyncio.run(truncate_tail(superuser_url, keep=3))
    broken = runner.invoke(cli, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert "BROKEN at entry 4: truncated tail" in broken.output
    refused = runner.invoke(cli, ["audit", "export-head"], env=env)
    assert refused.exit_code == 1
    assert "truncated tail" in refused.output
    forced = runner.invoke(cli, ["audit", "export-head", "--force"], env=env)
    assert forced.exit_code == 0, forced.output
    assert runner.invoke(cli, ["audit", "verify"], env=env).exit_code == 0
