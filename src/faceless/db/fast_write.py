"""The hot write path: a few Core INSERTs committed as one transaction on the driver itself.

``db.fast_read``'s counterpart for the writes clients make all the time
(``POST /api/v1/videos``). Profiled under load (issue 11), most of such a write's CPU
was SQLAlchemy around the driver (the session, the greenlet bridge around every driver
call, cache keys) and, on SQLite, one thread hop per statement (aiosqlite). A
:class:`FastWriter` commits a list of :class:`Write` values (an INSERT built with Core
by a repository, compiled once per key, and its values) all or nothing:

- PostgreSQL (asyncpg): one statement on the asyncpg connection of a pooled SQLAlchemy
  connection. Several INSERTs become one, the first ones as data-modifying ``WITH``
  clauses of the last (``WITH w0 AS (INSERT ...) INSERT ...``); a single statement is
  its own transaction, so the write costs one round trip and one commit, and a failure
  anywhere in it writes nothing.
- SQLite: ``BEGIN IMMEDIATE``, the INSERTs and ``COMMIT`` in one call on a worker
  thread, on a connection of the writer's own, under the process's writer lock
  (``db.single_writer``): one thread hop per transaction instead of one per statement,
  and never a wait in ``busy_timeout`` behind another writer of this process. Writes
  that queue meanwhile share that transaction, each in a savepoint of its own
  (``db.group_commit``).
- Anything else (an in-memory SQLite database, another driver): one transaction through
  the engine's own connections.

Writes only, and only INSERTs whose values are all known beforehand.
"""

from __future__ import annotations

import asyncio
import functools
import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import Insert, Update, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.ext.asyncio import AsyncEngine

from faceless.db.group_commit import GroupCommit
from faceless.db.pooled_driver import driver_connection
from faceless.db.single_writer import single_writer
from faceless.db.sqlite_checkpoint import Checkpointer

if TYPE_CHECKING:
    import sqlite3  # imported where SQLite runs: a PostgreSQL process never holds it

Processor = Callable[[Any], Any] | None
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Write:
    """One INSERT: ``build`` makes it (compiled once per ``key``), ``values`` fill it."""

    key: str
    build: Callable[[], Insert]
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Compiled:
    sql: str
    params: tuple[str, ...]  # the positional order of the named bind parameters
    binds: tuple[Processor, ...]

    def arguments(self, values: Mapping[str, Any]) -> list[Any]:
        return [
            value if processor is None else processor(value)
            for value, processor in zip(
                (values[name] for name in self.params), self.binds, strict=True
            )
        ]


def compile_insert(statement: Insert | Update, dialect: Dialect) -> Compiled:
    compiled = statement.compile(dialect=dialect)
    params = tuple(compiled.positiontup or ())
    types = {name: bind.type for name, bind in compiled.binds.items()}
    return Compiled(
        sql=str(compiled),
        params=params,
        binds=tuple(types[name]._cached_bind_processor(dialect) for name in params),
    )


class FastWriter(Protocol):
    async def write(self, engine: AsyncEngine, writes: Sequence[Write]) -> None:
        """Commit every write in one transaction, or none of them (the error is raised)."""

    def close(self) -> None: ...


class _Compiler:
    """Compiled statements for one engine's dialect. It keeps no reference to the engine
    (each write is given it), so a dropped engine and its writer go together."""

    def __init__(self, dialect: Dialect) -> None:
        self._dialect = dialect
        self._compiled: dict[str, Compiled] = {}

    def compiled(self, write: Write) -> Compiled:
        found = self._compiled.get(write.key)
        if found is None:
            found = self._compiled[write.key] = compile_insert(write.build(), self._dialect)
        return found

    def close(self) -> None:
        return None


_DOLLAR = re.compile(r"\$(\d+)")


def _renumbered(sql: str, offset: int) -> str:
    # Our compiled INSERTs carry every value as a parameter: no literal holds a "$n".
    return _DOLLAR.sub(lambda match: f"${int(match.group(1)) + offset}", sql)


def one_statement(parts: Sequence[Compiled]) -> str:
    """PostgreSQL: the INSERTs as one statement, all but the last in ``WITH`` clauses."""
    clauses, offset = [], 0
    for number, part in enumerate(parts[:-1]):
        clauses.append(f"w{number} AS ({_renumbered(part.sql, offset)})")
        offset += len(part.params)
    last = _renumbered(parts[-1].sql, offset)
    return f"WITH {', '.join(clauses)} {last}" if clauses else last


class AsyncpgWriter(_Compiler):
    def __init__(self, dialect: Dialect) -> None:
        super().__init__(dialect)
        self._statements: dict[tuple[str, ...], str] = {}

    async def write(self, engine: AsyncEngine, writes: Sequence[Write]) -> None:
        parts = [self.compiled(write) for write in writes]
        keys = tuple(write.key for write in writes)
        sql = self._statements.get(keys)
        if sql is None:
            sql = self._statements[keys] = one_statement(parts)
        arguments = [
            argument
            for part, write in zip(parts, writes, strict=True)
            for argument in part.arguments(write.values)
        ]
        # Nothing begins a transaction (db.pooled_driver): the one statement is its own,
        # no BEGIN, no COMMIT round trip.
        async with driver_connection(engine) as driver:
            await driver.execute(sql, *arguments)


_WRITER_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=30000",
    "PRAGMA synchronous=NORMAL",
    # No checkpoint inside a hot commit: db.sqlite_checkpoint runs them beside.
    "PRAGMA wal_autocheckpoint=0",
)


class SqliteWriter(_Compiler):
    def __init__(self, dialect: Dialect, database: str) -> None:
        super().__init__(dialect)
        self._database = database
        self._connection: sqlite3.Connection | None = None
        self._group = GroupCommit()
        self._checkpoints = Checkpointer(database)
        # A thread of its own: writes never queue behind other work handed to threads
        # (the loop's default executor), and the connection stays on one thread.
        self._thread: ThreadPoolExecutor | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            # The engine's pragmas (db.engine): the same file, the same rules. Opened at
            # first use, on the writing thread; only ever used under the writer lock.
            import sqlite3

            connection = sqlite3.connect(
                self._database, timeout=30, isolation_level=None, check_same_thread=False
            )
            for pragma in _WRITER_PRAGMAS:
                connection.execute(pragma)
            self._connection = connection
        return self._connection

    def _in_transaction(self, work: Callable[[sqlite3.Connection], T]) -> T:
        connection = self._connect()
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(connection)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        return result

    async def transact(
        self,
        engine: AsyncEngine,
        work: Callable[[sqlite3.Connection], T],
        *,
        before: Callable[[], None] | None = None,
    ) -> T:
        """``work`` in one transaction on the writer's connection, in one thread call;
        ``before`` runs once the writer lock is held, just before it.

        Never from inside a ``transaction()`` scope of the same engine: that scope's
        connection holds the database, and this one would wait for it in ``busy_timeout``.
        """
        async with single_writer(engine):
            if before is not None:
                before()
            if self._thread is None:
                self._thread = ThreadPoolExecutor(1, thread_name_prefix="faceless-sqlite-writer")
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._thread, self._in_transaction, work)

    async def write(self, engine: AsyncEngine, writes: Sequence[Write]) -> None:
        statements = [
            (part.sql, part.arguments(write.values))
            for part, write in ((self.compiled(write), write) for write in writes)
        ]
        # Writes queued meanwhile share one transaction and one thread call.
        await self._group.write(statements, functools.partial(self.transact, engine))
        self._checkpoints.wrote(1, functools.partial(self._finish_checkpoint, engine))

    async def _finish_checkpoint(self, engine: AsyncEngine) -> None:
        def checkpoint() -> None:
            self._connect().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

        async with single_writer(engine):
            assert self._thread is not None  # a write ran before
            await asyncio.get_running_loop().run_in_executor(self._thread, checkpoint)

    def close(self) -> None:
        self._checkpoints.close()
        if self._thread is not None:
            self._thread.shutdown(wait=True)  # idle by now: the engine is being disposed
            self._thread = None
        if self._connection is not None:
            self._connection.close()
            self._connection = None


class EngineWriter(_Compiler):
    """Through the engine's own connections: for a database the others cannot open."""

    async def write(self, engine: AsyncEngine, writes: Sequence[Write]) -> None:
        async with single_writer(engine), engine.begin() as connection:
            for write in writes:
                part = self.compiled(write)
                await connection.exec_driver_sql(part.sql, tuple(part.arguments(write.values)))


def _create(engine: AsyncEngine) -> FastWriter:
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:" or database.startswith("file:"):
            return EngineWriter(engine.dialect)  # in memory, or a URI with options of its own
        return SqliteWriter(engine.dialect, database)
    if engine.dialect.driver == "asyncpg":
        return AsyncpgWriter(engine.dialect)
    return EngineWriter(engine.dialect)


# One writer per engine (like the audit sequencer), so the runtime container needs no
# field for it; its connection is closed when the engine is disposed.
_WRITERS: weakref.WeakKeyDictionary[Engine, FastWriter] = weakref.WeakKeyDictionary()


def fast_writer_for(engine: AsyncEngine) -> FastWriter:
    key = engine.sync_engine
    writer = _WRITERS.get(key)
    if writer is None:
        writer = _WRITERS[key] = _create(engine)
        event.listen(key, "engine_disposed", _closer(writer))
    return writer


def sqlite_writer(engine: AsyncEngine) -> SqliteWriter | None:
    """The engine's writer if it runs transactions on a SQLite connection of its own."""
    writer = fast_writer_for(engine)
    return writer if isinstance(writer, SqliteWriter) else None


async def write_all(engine: AsyncEngine, writes: Sequence[Write]) -> None:
    """Commit ``writes`` on ``engine`` in one transaction, or none of them."""
    await fast_writer_for(engine).write(engine, writes)


def _closer(writer: FastWriter) -> Callable[[Engine], None]:
    def close(_engine: Engine) -> None:
        writer.close()

    return close
