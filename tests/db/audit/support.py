"""Helpers for the audit tests: append events, read the head, tamper as a superuser."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from faceless.db.audit import repository
from faceless.db.audit.chain import event_hash
from faceless.db.audit.head_file import HeadExport, read_export
from faceless.db.audit.writer import record
from faceless.db.engine import create_engine, is_sqlite
from faceless.db.session import transaction
from faceless.models import AuditEvent
from faceless.runtime.container import Runtime
from faceless.settings import AuditSettings, Settings


def with_audit(settings: Settings, **audit: Any) -> Settings:
    return settings.model_copy(update={"audit": AuditSettings(**audit)})


async def append(services: Runtime, count: int, *, action: str = "test.event") -> None:
    """``count`` events, each in its own committed transaction (as requests record them)."""
    for n in range(count):
        async with transaction(services.sessions) as session:
            await record(session, action=action, actor_id=None, target=f"test:{n}", ctx=None)


async def head(services: Runtime) -> tuple[int, str]:
    async with services.read_sessions() as session:
        return await repository.head_values(session)


async def wait_for_export(
    path: Path, ready: Callable[[HeadExport], Awaitable[bool]], timeout: float = 20.0
) -> HeadExport:
    """Poll the export file until ``ready`` accepts it (a wait, not a timing assertion)."""
    deadline = time.monotonic() + timeout
    while True:
        export = read_export(path)
        if export is not None and await ready(export):
            return export
        if time.monotonic() > deadline:
            raise AssertionError(f"no matching export in {path} within {timeout} s: {export}")
        await asyncio.sleep(0.02)


async def tamper(database_url: str, *statements: str, **params: Any) -> None:
    """Run ``statements`` in one transaction, as an attacker with database access would.

    On PostgreSQL the maintenance switch is set for this transaction only, so the
    statements pass a trigger that blocks UPDATE/DELETE on the audit table unless it is on.
    """
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            if not is_sqlite(database_url):
                await conn.execute(
                    text("SELECT set_config('faceless.audit_maintenance', 'on', true)")
                )
            for statement in statements:
                await conn.execute(text(statement), params)
    finally:
        await engine.dispose()


async def truncate_tail(database_url: str, *, keep: int) -> None:
    """Delete every entry after ``keep`` and rewind the head row to match (consistently)."""
    keep_hash = await stored_hash(database_url, keep)
    await tamper(
        database_url,
        "DELETE FROM audit_events WHERE id > :keep",
        "UPDATE audit_head SET last_id = :keep, last_hash = :hash WHERE id = 1",
        keep=keep,
        hash=keep_hash,
    )


async def stored_hash(database_url: str, event_id: int) -> str:
    engine = create_engine(database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            found = await conn.scalar(select(AuditEvent.hash).where(AuditEvent.id == event_id))
    finally:
        await engine.dispose()
    assert isinstance(found, str)
    return found


async def rewrite_chain(services: Runtime, superuser_url: str, *, event_id: int) -> None:
    """Change one event and recompute every hash after it and the head: internally valid."""
    async with services.read_sessions() as session:
        events = list((await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all())
    prev = events[event_id - 2].hash if event_id > 1 else None
    statements, params = [], {}
    for event in events[event_id - 1 :]:
        if event.id == event_id:
            event.action = "rewritten"
        if prev is not None:
            event.prev_hash = prev
        event.hash = event_hash(event)
        prev = event.hash
        n = event.id
        statements.append(
            f"UPDATE audit_events SET action = :a{n}, prev_hash = :p{n}, hash = :h{n} WHERE id = {n}"
        )
        params.update({f"a{n}": event.action, f"p{n}": event.prev_hash, f"h{n}": event.hash})
    statements.append("UPDATE audit_head SET last_hash = :head WHERE id = 1")
    await tamper(superuser_url, *statements, head=prev, **params)
