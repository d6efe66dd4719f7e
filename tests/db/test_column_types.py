"""The shared column types read back exactly what the dialects' own processors give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects.sqlite import DATETIME, aiosqlite

from faceless.db.base import StrEnumColumn, UtcDateTime
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
