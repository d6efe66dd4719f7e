"""The hot paths' line (ADR 0031): kept connections while busy, the ORM never starved,
everything back in the pool when the line is quiet. On a real PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from faceless.db import pooled_driver
from faceless.db.engine import create_engine
from faceless.db.pooled_driver import driver_connection, release_kept

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]

POOL_SIZE = 4  # a line of 3, one connection only the ORM's paths can take


@pytest.fixture
async def engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(pg_url, pool_size=POOL_SIZE)
    yield engine
    await release_kept(engine)
    await engine.dispose()


def count_checkouts(engine: AsyncEngine) -> list[int]:
    taken = [0]

    def checked_out(*_args: object) -> None:
        taken[0] += 1

    event.listen(engine.sync_engine, "checkout", checked_out)
    return taken


async def read_once(engine: AsyncEngine) -> int:
    async with driver_connection(engine) as driver:
        value: int = await driver.fetchval("SELECT 1")
        return value


async def busy_line(engine: AsyncEngine, clients: int, reads: int) -> None:
    async def client() -> None:
        for _ in range(reads):
            assert await read_once(engine) == 1

    await asyncio.gather(*(client() for _ in range(clients)))


async def test_a_busy_line_reuses_its_connections_and_returns_them_when_quiet(
    engine: AsyncEngine,
) -> None:
    taken = count_checkouts(engine)
    await busy_line(engine, clients=12, reads=25)
    # 300 reads; without keeping, each would have been a checkout from the pool.
    assert taken[0] < 30, taken[0]
    assert engine.sync_engine.pool.checkedout() == 0  # quiet: all back in the pool


async def test_one_at_a_time_every_read_goes_back_to_the_pool(engine: AsyncEngine) -> None:
    taken = count_checkouts(engine)
    for _ in range(5):
        assert await read_once(engine) == 1
        assert engine.sync_engine.pool.checkedout() == 0
    assert taken[0] == 5


async def test_the_orm_is_never_starved_by_a_busy_line(engine: AsyncEngine) -> None:
    stop = asyncio.Event()

    async def client() -> None:
        while not stop.is_set():
            async with driver_connection(engine) as driver:
                await driver.execute("SELECT pg_sleep(0.005)")

    clients = [asyncio.create_task(client()) for _ in range(16)]
    try:
        await asyncio.sleep(0.2)  # the line is full and keeps its connections
        for _ in range(5):
            started = time.monotonic()
            async with engine.connect() as connection:  # the ORM's way in
                assert (await connection.execute(text("SELECT 2"))).scalar() == 2
            # A liveness bound far above the normal figure (a few ms): the pool keeps
            # a connection the line cannot take.
            assert time.monotonic() - started < 2.0
    finally:
        stop.set()
        await asyncio.gather(*clients)
    assert engine.sync_engine.pool.checkedout() == 0


async def slow_statement_times_out(engine: AsyncEngine) -> int:
    """A statement cut off by its timeout: its connection's state is unknown."""
    pid = 0
    with pytest.raises(TimeoutError):  # noqa: PT012 - the pid is read on the way
        async with driver_connection(engine) as driver:
            pid = await driver.fetchval("SELECT pg_backend_pid()")
            await driver.execute("SELECT pg_sleep(5)", timeout=0.05)
    return pid


async def test_a_broken_connection_is_not_kept(engine: AsyncEngine) -> None:
    stop = asyncio.Event()

    async def client() -> None:  # keeps the line busy, so connections would be kept
        while not stop.is_set():
            assert await read_once(engine) == 1

    keeper = asyncio.create_task(client())
    try:
        pid = await slow_statement_times_out(engine)
        for _ in range(50):  # whatever the line holds now, that connection is not in it
            async with driver_connection(engine) as driver:
                assert await driver.fetchval("SELECT pg_backend_pid()") != pid
    finally:
        stop.set()
        await keeper
    assert engine.sync_engine.pool.checkedout() == 0


async def test_a_kept_connection_goes_back_to_the_pool_after_its_tenure(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pooled_driver, "TENURE_SECONDS", 0.0)
    taken = count_checkouts(engine)
    await busy_line(engine, clients=6, reads=10)
    assert taken[0] == 60  # never kept: each read checked out from the pool
    assert engine.sync_engine.pool.checkedout() == 0


async def test_release_kept_returns_what_the_line_keeps(engine: AsyncEngine) -> None:
    entered, leave = asyncio.Event(), asyncio.Event()

    async def holder() -> None:
        async with driver_connection(engine):
            entered.set()
            await leave.wait()

    held = asyncio.create_task(holder())
    await entered.wait()
    assert await read_once(engine) == 1  # the line was busy (the holder): this one is kept
    assert engine.sync_engine.pool.checkedout() == 2
    await release_kept(engine)  # as Runtime.close does before disposing of the engine
    assert engine.sync_engine.pool.checkedout() == 1  # the holder's, still in use
    leave.set()
    await held
    assert engine.sync_engine.pool.checkedout() == 0
