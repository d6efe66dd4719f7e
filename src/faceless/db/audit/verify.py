"""Verifying the audit chain.

``verify_chain`` recomputes every hash and, given the export file, compares the
database with the last head exported off it (:mod:`faceless.db.audit.head_export`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.crypto.keys import Keyring
from faceless.db.audit import repository
from faceless.db.audit.chain import Reason, event_hash
from faceless.db.audit.head_export import HeadSigner, compare_with_export
from faceless.db.audit.head_file import ExportFormatError, read_export
from faceless.models.audit_event import GENESIS_HASH


@dataclass(frozen=True, slots=True)
class ChainReport:
    valid: bool
    entries: int
    first_bad_id: int | None = None
    # What failed (a :class:`Reason` value); None when valid. Left out of ``==`` so
    # reports compare as they did before reasons existed.
    reason: str | None = field(default=None, compare=False)


def _broken(entries: int, first_bad_id: int | None, reason: Reason) -> ChainReport:
    return ChainReport(valid=False, entries=entries, first_bad_id=first_bad_id, reason=reason)


async def verify_chain(
    session: AsyncSession, *, head_file: Path | None = None, keyring: Keyring | None = None
) -> ChainReport:
    """Recompute the chain; with ``head_file`` and ``keyring``, also check the latest export.

    Without an export file (or with ``head_file`` None) only the database is checked,
    which cannot reveal a chain rewritten and re-hashed as a whole, or a tail cut off
    together with the head row. ``keyring`` is the DATA_ENCRYPTION_KEY ring.
    """
    export = None
    if head_file is not None:
        if keyring is None:
            raise TypeError("verify_chain: head_file needs the data keyring")
        # Read the export before the database: it can only name entries committed
        # earlier, so appends racing this check never look like a truncated tail.
        try:
            export = await asyncio.to_thread(read_export, head_file)
        except ExportFormatError:
            return _broken(0, None, Reason.EXPORT_UNREADABLE)
        if export is not None and not HeadSigner(keyring).verify(export):
            return _broken(0, None, Reason.EXPORT_SIGNATURE)
    # The head before the entries: an append committed meanwhile only adds entries
    # beyond it (which must chain on as well), so concurrent writers cause no false alarm.
    head_id, head_hash = await repository.head_values(session)
    watched = {head_id, export.last_id if export is not None else 0}
    seen: dict[int, str] = {0: GENESIS_HASH}
    expected_prev = GENESIS_HASH
    entries = 0
    async for event in repository.stream_events(session):
        if event.id != entries + 1:
            return _broken(entries, entries + 1, Reason.SEQUENCE_GAP)
        if event.prev_hash != expected_prev:
            return _broken(entries, event.id, Reason.BROKEN_LINK)
        if event.hash != event_hash(event):
            return _broken(entries, event.id, Reason.HASH_MISMATCH)
        if event.id in watched:
            seen[event.id] = event.hash
        expected_prev = event.hash
        entries += 1
    if entries < head_id:
        # The tail was cut off but the head row still names it.
        return _broken(entries, entries + 1, Reason.TRUNCATED_TAIL)
    if seen[head_id] != head_hash:
        return _broken(entries, head_id or None, Reason.HEAD_MISMATCH)
    head_now, _ = await repository.head_values(session)
    if entries > head_now:
        # Entries beyond the head row: inserted behind the appenders' backs.
        return _broken(entries, head_now + 1, Reason.HEAD_MISMATCH)
    if export is not None:
        mismatch = compare_with_export(
            export, entries=entries, hash_at_export=seen.get(export.last_id)
        )
        if mismatch is not None:
            return _broken(entries, mismatch.first_bad_id, mismatch.reason)
    return ChainReport(valid=True, entries=entries)
