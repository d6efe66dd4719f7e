"""The hot read path returns exactly what SQLAlchemy returns, on both databases."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import Integer, bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncEngine

from faceless.db import pooled_driver
from faceless.db.engine import create_engine
from faceless.db.fast_read import AsyncpgReader, SqliteReader, create_fast_reader
from faceless.models import Role, Video
from faceless.runtime.container import Runtime
from tests.conftest import Accounts
from tests.fixtures import PostgresCluster


async def test_rows_match_sqlalchemy_for_every_video_column(
    services: Runtime, accounts: Accounts, client: httpx.AsyncClient
) -> None:
    auth = await accounts.headers("reader", Role.EDITOR)
    body = {"title": "Fast", "script": "secret script", "tags": ["a", "b"], "privacy": "public"}
    created = await client.post("/api/v1/videos", headers=auth, json=body)
    assert created.status_code == 201, created.text
    table = Video.__table__

    def build() -> Any:
        return select(table).where(table.c.id == bindparam("video_id"))

    video_id = created.json()["id"]
    values = {"video_id": uuid.UUID(video_id)}
    fast = await services.fast_reader.read("test.video", build, values)
    async with services.read_sessions() as session:
        expected = [dict(row) for row in (await session.execute(build(), values)).mappings()]
    assert fast == expected
    assert fast[0]["script"] != "secret script"  # still the envelope: opened explicitly
    # Compiled once: a second read with other values uses the same statement.
    again = await services.fast_reader.read("test.video", build, {"video_id": uuid.uuid4()})
    assert again == []


async def test_a_sqlite_read_lets_waiting_callbacks_run_first(tmp_path: Path) -> None:
    """A request on SQLite suspends at its read, as on a network database: what already
    waits on the loop runs before the statement (a loop whose requests never suspend
    served connections in bursts, some waiting several bursts under load)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'turn.db'}")
    reader = create_fast_reader(engine)
    assert isinstance(reader, SqliteReader)
    order: list[str] = []
    try:
        asyncio.get_running_loop().call_soon(order.append, "waiting callback")
        rows = await reader.read("test.turn", lambda: select(literal_column("1").label("one")), {})
        order.append("read")
    finally:
        await reader.close()
        await engine.dispose()
    assert rows == [{"one": 1}]
    assert order == ["waiting callback", "read"]


@pytest.mark.postgres
async def test_a_connection_lost_under_a_read_is_not_handed_out_again(
    pg_cluster: PostgresCluster,
) -> None:
    engine = create_engine(pg_cluster.dsn("postgres"), pool_size=1)
    reader = AsyncpgReader(engine)

    def backend() -> Any:
        return select(func.pg_backend_pid().label("pid"))

    def failing() -> Any:  # a statement error: the server says why, the connection lives
        return select((literal_column("1") / bindparam("zero", type_=Integer)).label("x"))

    try:
        (first,) = await reader.read("test.pid", backend, {})
        with pytest.raises(Exception, match="division by zero"):
            await reader.read("test.failing", failing, {"zero": 0})
        (same,) = await reader.read("test.pid", backend, {})
        assert same == first  # a statement error keeps the connection
        admin = await asyncpg.connect(pg_cluster.dsn("postgres").replace("+asyncpg", ""))
        try:
            await admin.execute("SELECT pg_terminate_backend($1)", first["pid"])
        finally:
            await admin.close()
        with pytest.raises(Exception):  # noqa: B017 - the driver's own "connection lost"
            await reader.read("test.pid", backend, {})
        (fresh,) = await reader.read("test.pid", backend, {})
        assert fresh["pid"] != first["pid"]
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_hot_reads_get_pooled_connections_in_the_order_they_asked(
    pg_cluster: PostgresCluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More readers than connections, each asking again as soon as it is served (as
    clients under load do): nobody is overtaken by a later asker."""
    engine = create_engine(pg_cluster.dsn("postgres"), pool_size=2)
    reader = AsyncpgReader(engine)
    asking: ContextVar[int] = ContextVar("asking", default=-1)
    asked: list[int] = []
    served: list[int] = []
    take = pooled_driver._Line.take

    async def served_in_turn(line: pooled_driver._Line, engine: AsyncEngine) -> Any:
        # The moment a reader gets a connection, from the pool or kept by the line.
        taken = await take(line, engine)
        served.append(asking.get())
        return taken

    monkeypatch.setattr(pooled_driver._Line, "take", served_in_turn)
    turn = itertools.count()

    def sleep() -> Any:
        return select(func.pg_sleep(literal_column("0.001")).label("slept"))

    async def client() -> None:
        for _ in range(10):
            number = next(turn)
            asking.set(number)
            asked.append(number)
            await reader.read("test.sleep", sleep, {})

    try:
        # The pool's two connections first: opening them concurrently finishes in any
        # order, which is not what this is about.
        await asyncio.gather(*(reader.read("test.sleep", sleep, {}) for _ in range(2)))
        served.clear()
        await asyncio.gather(*(client() for _ in range(12)))
    finally:
        await engine.dispose()
    assert len(served) == len(asked) == 120
    assert served == asked
