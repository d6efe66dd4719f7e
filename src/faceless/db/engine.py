"""Engine construction for PostgreSQL and SQLite from one URL.

TLS to PostgreSQL is asked for in the URL the libpq way (``sslmode=verify-full`` and
``sslrootcert=/path/ca.pem``, or ``PGSSLROOTCERT``). asyncpg accepts neither
``sslmode`` nor ``sslrootcert`` as connect arguments, so for asyncpg URLs they are
turned here into an ``SSLContext`` that verifies the chain against that CA and the
host name, which is what verify-full means.

A SQLite database file is created owner-only (0600) before SQLite opens it, and an
existing one readable by group or others is made owner-only (ADR 0013): SQLite itself
creates it 0644 less the umask, and gives the ``-wal``, ``-shm`` and ``-journal``
files the database file's mode, so those follow it.

Bound parameters are kept out of error messages and the echo log (``hide_parameters``):
a failed statement is logged with the request's 500, and its values are user input,
secrets among them (a password hash, an e-mail address, a token's hash).
"""

from __future__ import annotations

import os
import ssl
import stat
from contextlib import suppress
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from faceless.metrics.instruments import DB_POOL_IN_USE


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    if is_sqlite(url):
        _private_sqlite_files(make_url(url))
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"timeout": 30},
            json_deserializer=orjson.loads,
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return _count_checkouts(engine)
    parsed, connect_args = postgres_tls(make_url(url))
    engine = create_async_engine(
        parsed,
        echo=echo,
        hide_parameters=True,
        connect_args=connect_args,
        # JSON columns (tags) are decoded on every read of a row: orjson, not json.
        json_deserializer=orjson.loads,
        pool_size=pool_size,
        # No overflow: a connection opened above the pool size is closed again at
        # check-in, so a burst wider than the pool would connect (a TLS handshake, a
        # new backend process) on nearly every request. Waiting for a pooled connection
        # costs far less; DATABASE_POOL_SIZE is the knob (issue 11: profiled under load).
        max_overflow=0,
        # No pre-ping (a round trip on every checkout); connections are recycled well
        # before PostgreSQL or a proxy would drop them, and a dead one is invalidated.
        pool_recycle=1800,
    )
    return _count_checkouts(engine)


def _count_checkouts(engine: AsyncEngine) -> AsyncEngine:
    """Keep ``faceless_db_pool_connections_in_use`` in step with the pool."""
    event.listen(engine.sync_engine, "checkout", _checked_out)
    event.listen(engine.sync_engine, "checkin", _checked_in)
    return engine


def _checked_out(*_args: Any) -> None:
    DB_POOL_IN_USE.inc()


def _checked_in(*_args: Any) -> None:
    DB_POOL_IN_USE.dec()


VERIFYING_MODES = frozenset({"verify-full", "verify-ca"})


def postgres_tls(url: URL) -> tuple[URL, dict[str, Any]]:
    """For asyncpg: move libpq-style TLS options from the URL into an ``ssl`` argument."""
    if url.get_driver_name() != "asyncpg":
        return url, {}
    query = dict(url.query)
    mode = query.pop("sslmode", None) or query.get("ssl")
    root = query.pop("sslrootcert", None) or os.environ.get("PGSSLROOTCERT")
    if not isinstance(mode, str) or mode not in VERIFYING_MODES:
        if mode is not None and "ssl" not in query:
            query["ssl"] = mode
        return url.set(query=query), {}
    query.pop("ssl", None)
    context = ssl.create_default_context(cafile=root if isinstance(root, str) else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    # verify-ca checks the chain only (libpq semantics); verify-full also the host name.
    context.check_hostname = mode == "verify-full"
    return url.set(query=query), {"ssl": context}


_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def _private_sqlite_files(url: URL) -> None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return  # in memory, or a URI whose options SQLite reads itself
    path = Path(database)
    # A missing directory is left for SQLite to report when it opens the file.
    with suppress(FileExistsError, FileNotFoundError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600))
    for candidate in (path, *(path.with_name(path.name + s) for s in _SQLITE_SIDE_FILES)):
        with suppress(FileNotFoundError):
            info = candidate.stat()
            if info.st_mode & 0o077 and info.st_uid == os.geteuid():
                candidate.chmod(stat.S_IMODE(info.st_mode) & 0o700)


def _sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # WAL lets the API read while a worker writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database; raises when it cannot be reached."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))
