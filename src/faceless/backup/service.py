"""``faceless backup create``: a consistent dump, encrypted as it streams, then retention.

The database is reached through ``DATABASE_MIGRATION_URL`` (the owner of every object;
``DATABASE_URL`` when unset, as in development). What the manifest says about the
database is read from the same consistent state as the dump: from the SQLite copy, or
in the PostgreSQL transaction whose snapshot ``pg_dump`` uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.backup import postgres, repository, sqlite
from faceless.backup.archive import PayloadDigest, new_backup_file
from faceless.backup.manifest import AuditHead, Database, Manifest
from faceless.backup.state import record_success
from faceless.crypto.keys import Keyring
from faceless.db.audit import repository as audit_repository
from faceless.db.base import utcnow
from faceless.db.engine import create_engine, is_sqlite
from faceless.settings import Settings

NAME_PATTERN = re.compile(r"^faceless-\d{8}T\d{12}Z\.backup$")

Sink = Callable[[bytes], None]


@dataclass(frozen=True, slots=True)
class CreatedBackup:
    path: Path
    manifest: Manifest
    file_bytes: int
    pruned: list[Path]


def owner_url(settings: Settings) -> str:
    return settings.database.migration_url or settings.database_url


def database_kind(url: str) -> Database:
    return "sqlite" if is_sqlite(url) else "postgresql"


async def describe(session: AsyncSession) -> tuple[str | None, AuditHead]:
    """The schema revision and audit chain head as ``session`` sees them."""
    revision = await repository.schema_revision(session)
    last_id, last_hash = await audit_repository.head_values(session)
    return revision, AuditHead(last_id, last_hash)


async def describe_url(url: str) -> tuple[str | None, AuditHead]:
    engine = create_engine(url, pool_size=1)
    try:
        async with AsyncSession(engine) as session:
            return await describe(session)
    finally:
        await engine.dispose()


async def _dump_sqlite(url: str, sink: Sink) -> tuple[str | None, AuditHead]:
    database = sqlite.database_path(url)
    # The plaintext copy stays beside the live database (same protection), briefly.
    workdir = Path(tempfile.mkdtemp(dir=database.parent, prefix=".backup-"))
    try:
        copy = workdir / "snapshot.db"
        await asyncio.to_thread(sqlite.snapshot, database, copy)
        described = await describe_url(f"sqlite+aiosqlite:///{copy}")
        await asyncio.to_thread(_stream_file, copy, sink)
        return described
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _stream_file(path: Path, sink: Sink) -> None:
    with path.open("rb") as source:
        while chunk := source.read(postgres.READ_BYTES):
            sink(chunk)


async def _dump_postgres(url: str, sink: Sink) -> tuple[str | None, AuditHead]:
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as raw:
            connection = await raw.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin(), AsyncSession(bind=connection) as session:
                # The snapshot is taken by this first statement; the reads below and
                # pg_dump all see the database as of that moment.
                snapshot = await repository.export_snapshot(session)
                described = await describe(session)
                with postgres.connect_to(url) as target:
                    await asyncio.to_thread(postgres.dump, target, snapshot=snapshot, sink=sink)
                return described
    finally:
        await engine.dispose()


def backup_name() -> str:
    return f"faceless-{utcnow():%Y%m%dT%H%M%S%f}Z.backup"


async def create_backup(
    settings: Settings, keyring: Keyring, *, output: Path | None = None
) -> CreatedBackup:
    url = owner_url(settings)
    path = output or settings.backup_dir / backup_name()
    created_at = utcnow().isoformat()
    digest = PayloadDigest()
    with new_backup_file(path, keyring) as writer:

        def sink(chunk: bytes) -> None:
            digest.update(chunk)
            writer.write(chunk)

        dump = _dump_sqlite if is_sqlite(url) else _dump_postgres
        revision, head = await dump(url, sink)
        manifest = Manifest(
            database=database_kind(url),
            schema_revision=revision,
            created_at=created_at,
            payload_bytes=digest.bytes,
            payload_sha256=digest.sha256,
            audit_head=head,
        )
        writer.finish(manifest.encode())
    size = path.stat().st_size
    record_success(
        settings.backup_state_file, at=utcnow(), backup=path, size=size, sha256=digest.sha256
    )
    return CreatedBackup(path, manifest, size, prune(settings.backup_dir, settings.backup.keep))


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest ``keep`` backups this command named in ``directory``."""
    if not directory.is_dir():
        return []
    ours = sorted(path for path in directory.iterdir() if NAME_PATTERN.match(path.name))
    doomed = ours[: max(0, len(ours) - keep)]
    for path in doomed:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return doomed
