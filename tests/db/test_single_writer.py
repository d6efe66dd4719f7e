"""One writer at a time on SQLite: in-process writers queue on a lock, never in busy_timeout.

Each test's engine sets ``busy_timeout = 0``, so any two of our transactions that meet
in SQLite's lock fail at once with "database is locked" instead of sleeping: a run
without that error proves they never met there.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from faceless.db.engine import create_engine
from faceless.db.session import create_sessionmaker, transaction
from faceless.db.single_writer import writer_lock
from faceless.models import LoginThrottle

WRITERS = 32
THROTTLES = LoginThrottle.__table__


def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


@pytest.fixture
async def sqlite_sessions(
    sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    path = tmp_path / "writer.db"
    shutil.copyfile(sqlite_template, path)
    engine: AsyncEngine = create_engine(f"sqlite+aiosqlite:///{path}")
    # Runs after the engine's own pragmas (listeners run in order): no sleeping retries.
    event.listen(engine.sync_engine, "connect", _no_busy_wait)
    try:
        yield create_sessionmaker(engine)
    finally:
        await engine.dispose()


async def _write_twice(session: AsyncSession, name: str) -> None:
    """Two writes with a read and a yield between them, as a request's unit of work."""
    await session.execute(insert(THROTTLES).values(username=name, failures=0))
    await asyncio.sleep(0)
    failures = await session.scalar(
        select(THROTTLES.c.failures).where(THROTTLES.c.username == name)
    )
    await session.execute(
        update(THROTTLES)
        .where(THROTTLES.c.username == name)
        .values(failures=(failures or 0) + 1, last_failure_at=datetime.now(UTC))
    )


async def _count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return len((await session.scalars(select(THROTTLES.c.username))).all())


async def test_concurrent_transactions_queue_in_the_process(
    sqlite_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def writer(number: int) -> None:
        async with transaction(sqlite_sessions) as session:
            await _write_twice(session, f"writer-{number}")

    await asyncio.gather(*(writer(number) for number in range(WRITERS)))
    assert await _count(sqlite_sessions) == WRITERS


async def test_without_the_scope_writers_do_meet_in_sqlite(
    sqlite_sessions: async_sessionmaker[AsyncSession],
) -> None:
    # The control: the same writes on bare sessions, one holding its write lock while
    # the other writes, fail at once under busy_timeout = 0.
    first_wrote = asyncio.Event()
    second_done = asyncio.Event()

    async def first() -> None:
        async with sqlite_sessions() as session:
            await session.execute(insert(THROTTLES).values(username="first", failures=0))
            first_wrote.set()
            await second_done.wait()
            await session.commit()

    async def second() -> None:
        await first_wrote.wait()
        try:
            async with sqlite_sessions() as session:
                await session.execute(insert(THROTTLES).values(username="second", failures=0))
                await session.commit()
        finally:
            second_done.set()

    outcomes = await asyncio.gather(first(), second(), return_exceptions=True)
    assert outcomes[0] is None
    assert isinstance(outcomes[1], OperationalError)
    assert "database is locked" in str(outcomes[1])


async def test_a_nested_transaction_does_not_wait_for_its_parent(
    sqlite_sessions: async_sessionmaker[AsyncSession],
) -> None:
    # A guard against a hang, not a timing assertion: a deadlock would never finish.
    async with asyncio.timeout(60), transaction(sqlite_sessions) as outer:
        await outer.scalar(select(THROTTLES.c.username).limit(1))
        async with transaction(sqlite_sessions) as inner:
            await inner.execute(insert(THROTTLES).values(username="inner", failures=0))
    assert await _count(sqlite_sessions) == 1


async def test_the_lock_is_taken_at_the_first_statement(
    sqlite_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def another_writer() -> None:
        async with transaction(sqlite_sessions) as session:
            await _write_twice(session, "meanwhile")

    async with transaction(sqlite_sessions) as slow:
        # Work before the first statement (storing an upload, say) blocks no other
        # writer: this one finishes while the scope is open. (The timeout only turns
        # a hang into a failure.)
        async with asyncio.timeout(60):
            await asyncio.create_task(another_writer())
        await _write_twice(slow, "slow")
    assert await _count(sqlite_sessions) == 2


async def test_a_rolled_back_writer_frees_the_lock(
    sqlite_sessions: async_sessionmaker[AsyncSession],
) -> None:
    class Failed(Exception):
        pass

    async def failing() -> None:
        async with transaction(sqlite_sessions) as session:
            await session.execute(insert(THROTTLES).values(username="gone", failures=0))
            raise Failed

    async def succeeding(number: int) -> None:
        async with transaction(sqlite_sessions) as session:
            await _write_twice(session, f"after-{number}")

    results = await asyncio.gather(
        failing(), *(succeeding(n) for n in range(4)), return_exceptions=True
    )
    assert isinstance(results[0], Failed)
    assert results[1:] == [None] * 4
    assert await _count(sqlite_sessions) == 4


async def test_postgresql_engines_take_no_lock() -> None:
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        assert writer_lock(engine) is None
    finally:
        await engine.dispose()
