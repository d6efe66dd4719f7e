"""``faceless backup restore``: verify everything, then replace the database, then re-anchor.

Order matters:

1. The whole file is read and authenticated before anything is touched (a damaged,
   truncated or foreign file changes nothing).
2. The backup must be of the same kind of database, and the target must hold no table
   unless ``--force`` (then SQLite's file is replaced; PostgreSQL's objects are dropped
   and re-created in the restore's single transaction).
3. The data is decrypted again straight into its destination, from the same open file.
4. The restored audit chain head must be the manifest's.
5. :func:`reanchor_audit` then records ``backup.restore`` and forces the head export to
   the restored chain: the export on disk describes the database that was lost, which
   would otherwise make every ``faceless audit verify`` fail from now on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.backup import postgres, repository, sqlite
from faceless.backup.archive import VerifiedStream, open_backup
from faceless.backup.errors import BackupError
from faceless.backup.manifest import Manifest
from faceless.backup.service import database_kind, describe_url, owner_url
from faceless.crypto.keys import Keyring
from faceless.db.audit.head_export import ExportResult, HeadSigner, export_head
from faceless.db.audit.writer import record
from faceless.db.engine import create_engine, is_sqlite
from faceless.db.session import transaction
from faceless.settings import Settings


class _Rewindable:
    """Fresh verified passes over one open file (never re-opened by name)."""

    def __init__(self, source: BinaryIO, keyring: Keyring) -> None:
        self._source = source
        self._keyring = keyring

    def stream(self) -> VerifiedStream:
        self._source.seek(0)
        return VerifiedStream(self._source, self._keyring)

    def verify(self) -> Manifest:
        stream = self.stream()
        for _chunk in stream:
            pass
        assert stream.manifest is not None
        return stream.manifest

    def chunks(self) -> Iterable[bytes]:
        return iter(self.stream())


async def _is_empty(url: str) -> bool:
    if is_sqlite(url) and not sqlite.database_path(url).exists():
        return True
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as connection:
            return not await repository.has_tables(connection)
    finally:
        await engine.dispose()


async def restore_backup(
    settings: Settings, keyring: Keyring, path: Path, *, force: bool
) -> Manifest:
    url = owner_url(settings)
    with open_backup(path) as source:
        backup = _Rewindable(source, keyring)
        manifest = await asyncio.to_thread(backup.verify)
        if manifest.database != database_kind(url):
            raise BackupError(
                f"this is a {manifest.database} backup; the configured database is "
                f"{database_kind(url)}"
            )
        if not force and not await _is_empty(url):
            raise BackupError(
                "the database is not empty: restoring would replace what it holds "
                "(stop the service, then use --force to replace it)"
            )
        if is_sqlite(url):
            target = sqlite.database_path(url)
            await asyncio.to_thread(sqlite.replace_with, target, backup.chunks())
        else:
            with postgres.connect_to(url) as database:
                await asyncio.to_thread(postgres.restore, database, backup.chunks, clean=force)
    _revision, head = await describe_url(url)
    if head != manifest.audit_head:
        raise BackupError(
            f"the restored audit head (entry {head.last_id}) is not the backup's "
            f"(entry {manifest.audit_head.last_id})"
        )
    return manifest


async def reanchor_audit(
    *,
    sessions: async_sessionmaker[AsyncSession],
    read_sessions: async_sessionmaker[AsyncSession],
    signer: HeadSigner,
    head_file: Path,
    backup: Path,
) -> ExportResult:
    """Audit ``backup.restore``, then export the restored chain's head over the old one."""
    async with transaction(sessions) as session:
        await record(
            session,
            action="backup.restore",
            actor_id=None,
            target=f"backup:{backup.name}",
            ctx=None,
        )
    return await export_head(read_sessions, signer, head_file, force=True)
