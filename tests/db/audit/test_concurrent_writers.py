"""1,000 audit events from 8 concurrent writers in 2 processes form one unbroken chain."""

from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

from faceless.db.audit.head_file import read_export
from faceless.db.audit.verify import ChainReport, verify_chain
from faceless.models import AuditEvent
from faceless.runtime.container import Runtime
from faceless.settings import Settings
from tests.conftest import cli_env
from tests.db.audit.support import head, with_audit
from tests.fixtures.processes import ManagedProcess

PROCESSES = 2
WRITERS_PER_PROCESS = 4
EVENTS = 1000
SCRIPT = Path(__file__).with_name("writer_process.py")


def child_env(settings: Settings) -> dict[str, str | None]:
    return {
        **cli_env(settings),
        # Exports race each other as well as the writers.
        "AUDIT_HEAD_EXPORT_EVENTS": "50",
        "AUDIT_HEAD_EXPORT_SECONDS": "0.2",
        "PYTHONUNBUFFERED": "1",
    }


async def test_concurrent_writers_form_one_chain(
    bare_services: Runtime, settings: Settings, tmp_path: Path
) -> None:
    # bare_services created the development secrets the children share.
    settings = with_audit(settings, export_events=50, export_seconds=0.2)
    per_writer = EVENTS // (PROCESSES * WRITERS_PER_PROCESS)
    go_file = tmp_path / "go"
    children = [
        ManagedProcess(
            [
                sys.executable,
                str(SCRIPT),
                f"p{n}",
                str(WRITERS_PER_PROCESS),
                str(per_writer),
                str(go_file),
            ],
            env=child_env(settings),
            name=f"audit-writer-{n}",
            stop_timeout=5,
        )
        for n in range(PROCESSES)
    ]
    try:
        for child in children:
            child.start()
        for child in children:
            child.wait_for_line(r"^ready$", timeout=60)
        go_file.touch()
        for child in children:
            assert child.wait(timeout=120) == 0, child.output()
    finally:
        for child in children:
            child.close()

    async with bare_services.read_sessions() as session:
        report = await verify_chain(
            session,
            head_file=settings.audit_head_file,
            keyring=bare_services.data_protection.cipher.keyring,
        )
        ids = list(await session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        targets = set(await session.scalars(select(AuditEvent.target)))
    assert report == ChainReport(valid=True, entries=EVENTS)
    assert ids == list(range(1, EVENTS + 1))
    assert len(targets) == EVENTS  # every writer's every event, none lost or doubled
    assert await head(bare_services) == (EVENTS, (await head(bare_services))[1])
    # The last process to finish exported the whole chain on its way out.
    export = read_export(settings.audit_head_file)
    assert export is not None and export.last_id == EVENTS
