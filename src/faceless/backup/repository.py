"""The SQL a backup needs besides the audit head: the schema revision, the snapshot, emptiness."""

from __future__ import annotations

from sqlalchemy import column, inspect, select, table, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_ALEMBIC = table("alembic_version", column("version_num"))


async def schema_revision(session: AsyncSession) -> str | None:
    found = await session.scalar(select(_ALEMBIC.c.version_num).limit(1))
    return None if found is None else str(found)


async def export_snapshot(session: AsyncSession) -> str:
    """PostgreSQL: name this transaction's snapshot, for ``pg_dump --snapshot``."""
    return str(await session.scalar(text("SELECT pg_export_snapshot()")))


def _table_names(connection: Connection) -> list[str]:
    return inspect(connection).get_table_names()


async def has_tables(connection: AsyncConnection) -> bool:
    """Whether the database (PostgreSQL: its default schema) holds any table at all."""
    return bool(await connection.run_sync(_table_names))
