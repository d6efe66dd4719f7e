"""The chain head is exported off the database: when, where, how, and only forwards."""

from __future__ import annotations

import asyncio
import io
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from faceless.crypto.keys import generate_keyring_value, parse_keyring
from faceless.db.audit.head_export import HeadSigner, Outcome, export_head
from faceless.db.audit.head_export_schedule import HeadExporter
from faceless.db.audit.head_file import HeadExport, read_export
from faceless.db.audit.verify import verify_chain
from faceless.db.audit.writer import record
from faceless.runtime.container import Runtime
from faceless.settings import Settings
from tests.conftest import running_app
from tests.db.audit.support import append, head, wait_for_export, with_audit
from tests.logcapture import captured_logs


def signer_of(services: Runtime) -> HeadSigner:
    return HeadSigner(services.data_protection.cipher.keyring)


def assert_private(path: Path) -> None:
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    lock = path.with_name(path.name + ".lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600


def exporter_for(services: Runtime, **overrides: float) -> HeadExporter:
    settings = services.settings
    return HeadExporter(
        sessions=services.read_sessions,
        keyring=lambda: services.data_protection.cipher.keyring,
        path=settings.audit_head_file,
        interval=overrides.get("interval", settings.audit.export_seconds),
        every_events=int(overrides.get("every_events", settings.audit.export_events)),
    )


async def test_export_after_n_events(bare_services: Runtime) -> None:
    services = bare_services
    exporter = exporter_for(services, every_events=3, interval=3600)
    path = services.settings.audit_head_file
    exporter.start()
    try:
        await append(services, 2)
        # Two commits counted; the timer is an hour away, so nothing can have exported.
        assert exporter.pending == 2
        assert not path.exists()
        await append(services, 1)
        last_id, last_hash = await head(services)

        async def covers_all(export: HeadExport) -> bool:
            return export.last_id == last_id

        export = await wait_for_export(path, covers_all)
    finally:
        await exporter.close()
    assert (export.last_id, export.last_hash) == (3, last_hash)
    assert export.kid == services.data_protection.cipher.keyring.current_kid
    assert signer_of(services).verify(export)
    assert_private(path)


async def test_rolled_back_appends_are_not_counted(bare_services: Runtime) -> None:
    exporter = exporter_for(bare_services, every_events=1000)
    try:
        async with bare_services.sessions() as session:
            await record(session, action="test.rollback", actor_id=None, target=None, ctx=None)
            await session.rollback()  # the request failed
        await append(bare_services, 2)
        assert exporter.pending == 2
    finally:
        await exporter.close()


async def test_periodic_export_from_the_app_lifespan(settings: Settings) -> None:
    settings = with_audit(settings, export_seconds=0.2, export_events=1_000_000)
    async with running_app(settings) as (services, _client):
        await append(services, 4)
        last_id, last_hash = await head(services)

        async def covers_all(export: HeadExport) -> bool:
            return export.last_id >= last_id

        export = await wait_for_export(settings.audit_head_file, covers_all)
        assert (export.last_id, export.last_hash) == (last_id, last_hash)
        assert signer_of(services).verify(export)
        assert_private(settings.audit_head_file)
        async with services.read_sessions() as session:
            report = await verify_chain(
                session,
                head_file=settings.audit_head_file,
                keyring=services.data_protection.cipher.keyring,
            )
        assert report.valid and report.entries == last_id and report.reason is None
        await append(services, 2)
    # Shutting down exports once more, covering the last appends.
    final = read_export(settings.audit_head_file)
    assert final is not None and final.last_id == last_id + 2


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    with captured_logs() as buffer:
        yield buffer


async def test_export_is_also_one_log_line(bare_services: Runtime, log_lines: io.StringIO) -> None:
    await append(bare_services, 2)
    path = bare_services.settings.audit_head_file
    result = await export_head(bare_services.read_sessions, signer_of(bare_services), path)
    assert result.outcome is Outcome.WRITTEN
    lines = [json.loads(line) for line in log_lines.getvalue().splitlines()]
    exported = [line for line in lines if line["event"] == "audit.head_exported"]
    assert len(exported) == 1
    on_disk = read_export(path)
    assert on_disk is not None
    assert {key: exported[0][key] for key in on_disk.as_dict()} == on_disk.as_dict()
    # Nothing new to anchor: the file and the log stay as they are.
    again = await export_head(bare_services.read_sessions, signer_of(bare_services), path)
    assert again.outcome is Outcome.UNCHANGED
    assert read_export(path) == on_disk


async def test_exports_only_move_forward_under_two_exporters(bare_services: Runtime) -> None:
    services = bare_services
    path = services.settings.audit_head_file
    first, second = exporter_for(services), exporter_for(services)
    seen: list[int] = []
    done = asyncio.Event()

    async def keep_exporting(exporter: HeadExporter) -> None:
        while not done.is_set():
            await exporter.export()
            await asyncio.sleep(0)

    async def watch() -> None:
        # Every read is a whole, authentic export (atomic rename), never older than the last.
        while not done.is_set():
            export = read_export(path)
            if export is not None:
                assert signer_of(services).verify(export)
                seen.append(export.last_id)
            await asyncio.sleep(0.001)

    async def write() -> None:
        try:
            await append(services, 40)
        finally:
            done.set()

    await asyncio.gather(write(), keep_exporting(first), keep_exporting(second), watch())
    await first.export()
    await first.close()
    await second.close()
    assert seen == sorted(seen)
    export = read_export(path)
    assert export is not None and export.last_id == 40


async def test_rotation_keeps_exports_verifiable(bare_services: Runtime) -> None:
    services = bare_services
    path = services.settings.audit_head_file
    old = generate_keyring_value("old")
    new = generate_keyring_value("new")
    ring_old, ring_both, ring_new = (
        parse_keyring("K", old),
        parse_keyring("K", f"{new},{old}"),
        parse_keyring("K", new),
    )
    await append(services, 3)
    assert (
        await export_head(services.read_sessions, HeadSigner(ring_old), path)
    ).outcome == "written"

    async def verify(ring_value: str) -> tuple[bool, str | None]:
        async with services.read_sessions() as session:
            report = await verify_chain(
                session, head_file=path, keyring=parse_keyring("K", ring_value)
            )
        return report.valid, report.reason

    # Rotated: the old export still verifies while the old key is in the ring ...
    assert await verify(f"{new},{old}") == (True, None)
    # ... and the next export re-signs the unchanged head under the new key,
    rotated = await export_head(services.read_sessions, HeadSigner(ring_both), path)
    assert rotated.outcome == "written" and rotated.export is not None
    assert rotated.export.kid == ring_new.current_kid
    # so the old key can be retired.
    assert await verify(new) == (True, None)
    assert await verify(old) == (False, "export signature invalid")
