"""The hot write path commits all of its INSERTs or none, on both databases.

``POST /api/v1/videos`` writes its video and its audit event as one transaction on the
driver (``db.fast_write``): a failure in any statement leaves neither row behind, and
the video that did commit reads back exactly as written, its script still sealed.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select

from faceless.db import group_commit, sqlite_checkpoint
from faceless.db.audit.repository import pending_write
from faceless.db.audit.writer import event_values, write_with_event
from faceless.db.base import utcnow
from faceless.db.encryption import open_with
from faceless.db.fast_write import sqlite_writer, write_all
from faceless.models import AuditEvent, AuditInbox, Role, Video, VideoStatus
from faceless.runtime.container import Runtime
from faceless.videos import repository
from tests.conftest import create_account
from tests.fixtures import PostgresCluster


def new_video(owner_id: uuid.UUID, title: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": uuid.uuid4(),
        "owner_id": owner_id,
        "title": title,
        "description": "",
        "script": "the narration",
        "tags": ["a", "b"],
        "privacy": "private",
        "status": VideoStatus.DRAFT,
        "made_for_kids": False,
        "contains_synthetic_media": False,
        "category_id": "22",
        "default_language": None,
        "created_at": now,
        "updated_at": now,
    }


def event(action: str | None) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "actor_id": None,
        "actor_ip": None,
        "action": action,
        "target": "t",
        "outcome": "success",
        "request_id": None,
    }


async def counts(services: Runtime) -> tuple[int, int, int]:
    """(videos, inbox rows, chained events)."""
    async with services.read_sessions() as session:
        return (
            int(await session.scalar(select(func.count()).select_from(Video)) or 0),
            int(await session.scalar(select(func.count()).select_from(AuditInbox)) or 0),
            int(await session.scalar(select(func.count()).select_from(AuditEvent)) or 0),
        )


async def test_a_write_failing_midway_leaves_no_video_and_no_event(services: Runtime) -> None:
    owner = await create_account(services, "owner", Role.EDITOR)
    before = await counts(services)
    video = repository.insert_new(services.data_protection, new_video(owner, "lost"))
    # The video's INSERT succeeds; the event's violates NOT NULL on ``action``.
    with pytest.raises(Exception, match=r"(?i)null"):
        await write_all(services.engine, [video, pending_write(event(None))])
    assert await counts(services) == before


async def test_concurrent_writes_fail_alone(
    services: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Writes made at once may share a commit (SQLite's group commit): one that fails is
    rolled back alone, and the others are written."""
    owner = await create_account(services, "many", Role.EDITOR)
    before = await counts(services)
    groups: list[int] = []
    original = group_commit.run_group

    def counted(connection: Any, group: Any) -> Any:
        groups.append(len(group))
        return original(connection, group)

    monkeypatch.setattr(group_commit, "run_group", counted)

    async def one(number: int) -> BaseException | None:
        video = repository.insert_new(services.data_protection, new_video(owner, f"v{number}"))
        inbox = pending_write(event(None if number == 3 else "test.many"))
        try:
            await write_all(services.engine, [video, inbox])
        except Exception as error:
            return error
        return None

    outcomes = await asyncio.gather(*(one(number) for number in range(8)))
    assert [outcome is None for outcome in outcomes] == [n != 3 for n in range(8)]
    assert "null" in str(outcomes[3]).lower()
    assert await counts(services) == (before[0] + 7, before[1] + 7, before[2])
    async with services.read_sessions() as session:
        titles = set(await session.scalars(select(Video.title).where(Video.owner_id == owner)))
    assert titles == {f"v{n}" for n in range(8)} - {"v3"}
    if services.engine.dialect.name == "sqlite":
        assert max(groups) > 1  # they did share a transaction


async def test_a_refused_video_records_no_event(services: Runtime) -> None:
    before = await counts(services)
    # No such owner: the video's foreign key fails, so its event is not written either.
    video = repository.insert_new(services.data_protection, new_video(uuid.uuid4(), "orphan"))
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        await write_with_event(services.engine, [video], event("video.create"))
    assert await counts(services) == before


async def test_a_committed_write_is_chained_and_reads_back_as_written(services: Runtime) -> None:
    owner = await create_account(services, "writer", Role.EDITOR)
    values = new_video(owner, "kept")
    before = await counts(services)
    for _ in range(2):  # the second write runs the statement compiled by the first
        values["id"] = uuid.uuid4()
        recorded = event_values("video.create", "success", owner, f"video:{values['id']}", None)
        await write_with_event(
            services.engine, [repository.insert_new(services.data_protection, values)], recorded
        )
    assert await counts(services) == (before[0] + 2, 0, before[2] + 2)
    async with services.read_sessions() as session:
        row = (await session.execute(select(Video.__table__).where(Video.id == values["id"]))).one()
        chained = await session.scalar(select(AuditEvent.target).order_by(AuditEvent.id.desc()))
    stored = dict(row._mapping)
    assert stored["script"] != values["script"]  # sealed at rest
    stored["script"] = open_with(services.data_protection, Video.script, row.id, stored["script"])
    assert {name: stored[name] for name in values} == values
    assert chained == f"video:{values['id']}"


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
async def test_a_connection_the_database_dropped_is_not_reused(
    services: Runtime, request: pytest.FixtureRequest
) -> None:
    """PostgreSQL: the writer uses pooled connections beneath SQLAlchemy, so it must
    invalidate one the server closed; otherwise every later write on it would fail."""
    assert services.engine.dialect.name == "postgresql"
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    owner = await create_account(services, "dropped", Role.EDITOR)

    async def write(title: str) -> None:
        video = repository.insert_new(services.data_protection, new_video(owner, title))
        await write_all(services.engine, [video])

    await asyncio.gather(*(write(f"warm {n}") for n in range(4)))  # pooled connections
    database = services.engine.url.database
    assert database is not None
    admin = await asyncpg.connect(cluster.dsn(database, driver=None))
    try:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
    finally:
        await admin.close()
    failures = 0
    for attempt in range(services.settings.database.pool_size + 2):
        try:
            await write(f"after {attempt}")
        except Exception:  # the driver's "connection closed", once per dropped connection
            failures += 1
    assert failures <= services.settings.database.pool_size
    await write("healed")  # the pool holds no dropped connection any more


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_sqlite_checkpoints_run_beside_the_hot_writes(
    services: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite: the writer's own commits never checkpoint the log (a checkpoint inside one
    held the writer lock for tens of milliseconds); one runs beside every few writes."""
    writer = sqlite_writer(services.engine)
    assert writer is not None
    monkeypatch.setattr(sqlite_checkpoint, "EVERY", 5)
    ran: list[int] = []
    original = sqlite_checkpoint.Checkpointer._checkpoint

    def counted(self: sqlite_checkpoint.Checkpointer) -> None:
        original(self)
        ran.append(1)

    monkeypatch.setattr(sqlite_checkpoint.Checkpointer, "_checkpoint", counted)
    owner = await create_account(services, "checkpointed", Role.EDITOR)
    for number in range(12):
        video = repository.insert_new(services.data_protection, new_video(owner, f"c{number}"))
        await write_all(services.engine, [video])
        await writer._checkpoints.idle()
    assert len(ran) == 2  # after the 5th and the 10th write
    connection = writer._connect()
    assert connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
