"""Migrations build exactly the schema the models describe, and downgrade cleanly."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, inspect

from faceless.db.base import Base
from faceless.db.engine import create_engine
from faceless.db.migrate import downgrade, upgrade
from tests.fixtures import PostgresCluster


def _diff(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def _check(url: str) -> None:
    # Alembic's env runs its own event loop: call it from a worker thread.
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
        await asyncio.to_thread(downgrade, url, "base")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
        assert tables == ["alembic_version"]
        await asyncio.to_thread(upgrade, url)
    finally:
        await engine.dispose()


async def test_sqlite_schema_matches_models(tmp_path: Path) -> None:
    await _check(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")


@pytest.mark.postgres
async def test_postgres_schema_matches_models(pg_cluster: PostgresCluster) -> None:
    name = "m_" + uuid.uuid4().hex[:8]
    pg_cluster.create_database(name)
    try:
        await _check(pg_cluster.dsn(name))
    finally:
        pg_cluster.drop_database(name)
