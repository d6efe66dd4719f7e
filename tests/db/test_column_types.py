"""The shared column types read back exactly what the dialects' own processors give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, MetaData, Table, select
from sqlalchemy.dialects.sqlite import DATETIME, aiosqlite

from faceless.db.base import StrEnumColumn, UtcDateTime
from faceless.db.engine import create_engine
from faceless.models import VideoStatus

SQLITE = aiosqlite.dialect()
STORED = [
    datetime(2026, 12, 5, 1, 33, 0, 779456),
    datetime(2026, 12, 5, 1, 33, 0),  # no microseconds
    datetime(1999, 1, 31, 23, 59, 59, 1),
]


@pytest.mark.parametrize("value", STORED, ids=str)
def test_sqlite_timestamps_read_as_the_dialect_reads_them_in_utc(value: datetime) -> None:
    # What SQLAlchemy writes to SQLite, read back by the dialect's own processor.
    text = DATETIME().bind_processor(SQLITE)(value)  # type: ignore[misc]
    expected = DATETIME().result_processor(SQLITE, None)(text)  # type: ignore[misc]
    read = UtcDateTime().result_processor(SQLITE, None)(text)
    assert read == expected.replace(tzinfo=UTC)
    assert read.tzinfo is UTC
    assert UtcDateTime().result_processor(SQLITE, None)(None) is None


def test_aware_timestamps_come_back_in_utc() -> None:
    column = UtcDateTime()
    utc = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)
    assert column.process_result_value(utc, SQLITE) is utc
    shifted = utc.astimezone(timezone(timedelta(hours=2)))
    assert column.process_result_value(shifted, SQLITE) == utc
    assert column.process_result_value(shifted, SQLITE).tzinfo is UTC  # type: ignore[union-attr]


def test_enum_columns_read_members_and_refuse_strangers() -> None:
    column = StrEnumColumn(VideoStatus)
    assert column.process_result_value("draft", SQLITE) is VideoStatus.DRAFT
    assert column.process_result_value(None, SQLITE) is None
    with pytest.raises(ValueError, match="not a valid VideoStatus"):
        column.process_result_value("bogus", SQLITE)


@pytest.mark.postgres
async def test_asyncpg_reads_timestamps_in_utc_whatever_the_session_zone(pg_url: str) -> None:
    """Why ``UtcDateTime`` leaves asyncpg's values alone: they are UTC already."""
    engine = create_engine(pg_url)
    assert UtcDateTime().result_processor(engine.dialect, None) is None
    table = Table("utc_probe", MetaData(), Column("at", UtcDateTime()))
    written = datetime(2026, 12, 5, 1, 33, 0, 779456, tzinfo=timezone(timedelta(hours=-5)))
    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql("SET TIME ZONE 'Asia/Tokyo'")
            await connection.run_sync(table.create)
            await connection.execute(table.insert().values(at=written))
            read = (await connection.execute(select(table.c.at))).scalar_one()
            await connection.run_sync(table.drop)
    finally:
        await engine.dispose()
    assert read == written
    assert read.tzinfo is UTC
