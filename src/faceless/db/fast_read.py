"""The hot read path: a Core select run on the database driver itself, compiled once.

Profiled under load (issue 11), an authenticated list spent most of its time in
SQLAlchemy rather than in the database: the session, the statement's cache key, the
greenlet bridge around every driver call, result rows. The reads every client makes
all the time go through :class:`FastReader` instead:

- the repository still writes the statement with SQLAlchemy Core (all SQL stays in
  repositories) with named ``bindparam`` values, and gives it a *key*; it is compiled
  once per key, for this engine's dialect;
- rows come back as plain dicts, each value passed through the column type's own
  result processor, so they are exactly what SQLAlchemy would have returned (enums,
  UTC datetimes, JSON);
- PostgreSQL: the statement runs on the asyncpg connection of a pooled SQLAlchemy
  connection, with the codecs SQLAlchemy set up on it, one pool for everything
  (``DATABASE_POOL_SIZE`` stays the one knob);
- SQLite: the statement runs on a read-only ``sqlite3`` connection of its own, on the
  event loop's thread. A read of a page takes a fraction of a millisecond, less than
  handing it to a thread and back (what aiosqlite does for every call); WAL mode never
  makes a reader wait for a writer, and a short busy timeout bounds the rare wait for
  a checkpoint. The read still gives the loop one turn first, as a network read would
  (see ``SqliteReader.read``).

Reads only, autocommit: never use it for a value a write depends on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine

from faceless.db.pooled_driver import driver_connection

if TYPE_CHECKING:
    import sqlite3  # imported where SQLite runs: a PostgreSQL process never holds it

Processor = Callable[[Any], Any] | None

# A reader blocks the event loop while it waits, so the wait is short (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 200


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    params: tuple[str, ...]  # the positional order of the named bind parameters
    binds: tuple[Processor, ...]
    columns: tuple[str, ...]
    # The columns whose type converts the driver's value, with its result processor.
    converted: tuple[tuple[str, Callable[[Any], Any]], ...]


def compile_select(statement: Select[Any], dialect: Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    params = tuple(compiled.positiontup or ())
    bind_types = {name: bind.type for name, bind in compiled.binds.items()}
    columns = tuple(str(column.key) for column in statement.selected_columns)
    return Compiled(
        sql=str(compiled),
        params=params,
        binds=tuple(bind_types[name]._cached_bind_processor(dialect) for name in params),
        columns=columns,
        converted=tuple(
            (name, processor)
            for name, column in zip(columns, statement.selected_columns, strict=True)
            if (processor := _result_processor(column.type, dialect)) is not None
        ),
    )


def _result_processor(column_type: Any, dialect: Dialect) -> Processor:
    try:
        processor: Processor = column_type._cached_result_processor(dialect, None)
    except (TypeError, InvalidRequestError):
        # Numeric types choose their conversion by the driver's type code, which a
        # compiled statement does not know; the drivers return floats for ``Float``
        # and Decimals for ``Numeric`` as they are, which is what SQLAlchemy keeps.
        return None
    return processor


class FastReader(Protocol):
    async def read(
        self, key: str, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        """The rows of the statement ``build`` makes (compiled once per ``key``)."""

    async def close(self) -> None: ...


class _Compiler:
    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, key: str, build: Callable[[], Select[Any]]) -> Compiled:
        found = self._compiled.get(key)
        if found is None:
            found = self._compiled[key] = compile_select(build(), self._dialect)
        return found


def _arguments(compiled: Compiled, values: Mapping[str, Any]) -> list[Any]:
    return [
        value if processor is None else processor(value)
        for value, processor in zip(
            (values[name] for name in compiled.params), compiled.binds, strict=True
        )
    ]


def _rows(compiled: Compiled, raw_rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    # Most columns need no conversion (on PostgreSQL, only a video's two enums): the
    # dicts are built in C, and only the converted columns are visited. A row has the
    # compiled statement's columns, so zip needs no length check.
    columns, converted = compiled.columns, compiled.converted
    rows = [dict(zip(columns, row, strict=False)) for row in raw_rows]
    if converted:
        for row in rows:
            for name, processor in converted:
                row[name] = processor(row[name])
    return rows


class AsyncpgReader(_Compiler):
    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine.dialect)
        self._engine = engine

    async def read(
        self, key: str, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        compiled = self.compiled(key, build)
        async with driver_connection(self._engine) as driver:
            records = await driver.fetch(compiled.sql, *_arguments(compiled, values))
        return _rows(compiled, records)

    async def close(self) -> None:
        return None


class EngineReader(_Compiler):
    """Through the engine's own connections: for a database the others cannot open."""

    def __init__(self, engine: AsyncEngine) -> None:
        super().__init__(engine.dialect)
        self._engine = engine

    async def read(
        self, key: str, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        compiled = self.compiled(key, build)
        async with self._engine.connect() as connection:
            result = await connection.exec_driver_sql(
                compiled.sql, tuple(_arguments(compiled, values))
            )
            return _rows(compiled, result.all())

    async def close(self) -> None:
        return None


class SqliteReader(_Compiler):
    def __init__(self, engine: AsyncEngine, database: str) -> None:
        super().__init__(engine.dialect)
        self._database = database
        self._connection: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # Opened at first use: the engine (migrations) has created the file by then.
            import sqlite3

            connection = sqlite3.connect(
                self._database,
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit: every read sees the latest commit
                check_same_thread=False,
            )
            connection.execute("PRAGMA query_only=ON")
            self._connection = connection
        return self._connection

    async def read(
        self, key: str, build: Callable[[], Select[Any]], values: Mapping[str, Any]
    ) -> list[dict[str, Any]]:
        compiled = self.compiled(key, build)
        # One turn of the loop first, as a network database's read takes. Without it a
        # request on SQLite never suspends: under load the loop serves connections in
        # bursts and some wait several bursts. Measured at 32 connections (the list,
        # five runs each): p99 36-205 ms (median 61) instead of 142-683 (median 293),
        # and 10 to 20 % more requests served.
        await asyncio.sleep(0)
        cursor = self._connect().execute(compiled.sql, _arguments(compiled, values))
        try:
            return _rows(compiled, cursor.fetchall())
        finally:
            cursor.close()

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def create_fast_reader(engine: AsyncEngine) -> FastReader:
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return EngineReader(engine)  # in memory, or a URI with options of its own
        return SqliteReader(engine, database)
    if engine.dialect.driver == "asyncpg":
        return AsyncpgReader(engine)
    return EngineReader(engine)
