"""``faceless keys rotate``: re-seal every encrypted value under the current data key.

Works online, in batches of one short transaction each, so it needs no downtime and can
be stopped and started again: a value already under the current key is never selected,
and each rewrite is conditional on the value being unchanged since it was read (a
concurrent application write already used the current key and wins). Rows written
before encryption existed (plaintext, no blind index) are sealed and indexed here too.
Values that cannot be opened (tampered, or under a key no longer in the ring) are
counted and named, never overwritten; the run then reports failure.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.crypto.aead import DecryptionError, is_envelope
from faceless.crypto.hashing import normalise
from faceless.db.audit.writer import record
from faceless.db.base import Base
from faceless.db.encryption import DataProtection, encrypted_fields
from faceless.db.session import transaction
from faceless.keys import repository

MAX_NAMED_FAILURES = 20


@dataclass
class ColumnReport:
    table: str
    column: str
    rotated: int = 0  # re-sealed from an older key
    sealed: int = 0  # legacy plaintext sealed for the first time
    raced: int = 0  # rewritten by the application meanwhile (already current)
    failed: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class RotationReport:
    current_kid: str
    columns: list[ColumnReport]

    @property
    def ok(self) -> bool:
        return all(column.failed == 0 for column in self.columns)


@dataclass(frozen=True, slots=True)
class _Target:
    table: Table
    column: Column[Any]
    index: Column[Any] | None


def encrypted_targets() -> list[_Target]:
    """Every encrypted column of every mapped table, in a stable order."""
    targets = []
    for mapper in Base.registry.mappers:
        for spec in encrypted_fields(mapper):
            table = spec.column.table
            assert isinstance(table, Table)
            index_name = spec.column.type.blind_index  # type: ignore[attr-defined]
            targets.append(_Target(table, spec.column, table.c[index_name] if index_name else None))
    return sorted(targets, key=lambda t: (t.table.name, t.column.name))


async def _rotate_row(
    session: AsyncSession,
    protection: DataProtection,
    target: _Target,
    report: ColumnReport,
    stored: repository.StoredValue,
) -> None:
    table, column = target.table.name, target.column.name
    cipher = protection.cipher
    legacy = not is_envelope(stored.value)
    try:
        plaintext = (
            stored.value
            if legacy
            else cipher.open(stored.value, table=table, column=column, row_id=stored.row_id)
        )
    except DecryptionError as exc:
        report.failed += 1
        if len(report.failures) < MAX_NAMED_FAILURES:
            report.failures.append(str(exc))
        return
    extra: dict[str, Any] = {}
    if target.index is not None:
        index = protection.blind_index(table, column)
        extra[target.index.name] = index.compute(normalise(plaintext))
    sealed = cipher.seal(plaintext, table=table, column=column, row_id=stored.row_id)
    try:
        async with session.begin_nested():
            replaced = await repository.replace_value(
                session,
                target.table,
                target.column,
                row_id=stored.row_id,
                old=stored.value,
                new=sealed,
                extra=extra,
            )
    except IntegrityError:
        # Two legacy rows whose values differ only in case: the blind index is unique.
        report.failed += 1
        if len(report.failures) < MAX_NAMED_FAILURES:
            report.failures.append(f"{table}.{column} of row {stored.row_id}: duplicate value")
        return
    if not replaced:
        report.raced += 1
    elif legacy:
        report.sealed += 1
    else:
        report.rotated += 1


async def rotate_data_keys(
    sessions: async_sessionmaker[AsyncSession],
    protection: DataProtection,
    *,
    batch_size: int = 500,
    actor_id: uuid.UUID | None = None,
) -> RotationReport:
    kid = protection.cipher.current_kid
    reports = []
    for target in encrypted_targets():
        report = ColumnReport(target.table.name, target.column.name)
        after: uuid.UUID | None = None
        while True:
            async with transaction(sessions) as session:
                batch = await repository.stale_values(
                    session,
                    target.table,
                    target.column,
                    current_kid=kid,
                    after=after,
                    limit=batch_size,
                )
                for stored in batch:
                    await _rotate_row(session, protection, target, report, stored)
            if len(batch) < batch_size:
                break
            after = batch[-1].row_id
        reports.append(report)
    result = RotationReport(kid, reports)
    changed = sum(r.rotated + r.sealed for r in reports)
    failed = sum(r.failed for r in reports)
    async with transaction(sessions) as session:
        await record(
            session,
            action="keys.rotate",
            outcome="success" if result.ok else "failure",
            actor_id=actor_id,
            target=f"data-key:{kid} resealed={changed} failed={failed}",
            ctx=None,
        )
    return result
