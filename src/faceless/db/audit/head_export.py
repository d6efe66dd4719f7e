"""Off-database export of the audit chain head, so a rewritten or truncated chain shows.

Design:

* A database superuser can rewrite every audit row and recompute every hash; the chain
  is then internally valid. What they cannot do is reach back into the files and log
  lines written earlier, outside the database. So the head (last id, last hash) is
  exported with an HMAC: ``{"last_id", "last_hash", "exported_at", "kid", "hmac"}``,
  atomically to ``AUDIT_HEAD_FILE`` and as one ``audit.head_exported`` log line for the
  collector. Verification then requires the entry ``last_id`` to still exist and still
  carry ``last_hash`` (:func:`compare_with_export`).
* The HMAC key is an HKDF subkey of the ``DATA_ENCRYPTION_KEY`` entry with its own
  purpose label, never the raw key, which also seals columns. ``kid`` names the entry, so
  exports made before a rotation verify while the old key is still in the ring. Exports
  run every minute under the current key, so by the time an old key is retired the
  export is under the new one.
* Exports only move forward. Under the file lock the exporter reads the previous export
  and the committed head; it writes only when the previous export is authentic and still
  agrees with the database. A truncated or rewritten chain is therefore never papered
  over by the next export: it is refused and logged, and ``faceless audit verify`` keeps
  failing until an operator investigates (``faceless audit export-head --force``).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import orjson
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.crypto.aead import derive_subkey
from faceless.crypto.keys import Keyring
from faceless.db.audit import repository
from faceless.db.audit.chain import Reason
from faceless.db.audit.head_file import (
    ExportFormatError,
    HeadExport,
    locked,
    read_export,
    write_export,
)
from faceless.db.base import utcnow
from faceless.logging import get_logger

_PURPOSE = b"faceless/audit-head/v1"

logger = get_logger("faceless.audit")


def _canonical(last_id: int, last_hash: str, exported_at: str) -> bytes:
    return orjson.dumps(
        {"exported_at": exported_at, "last_hash": last_hash, "last_id": last_id},
        option=orjson.OPT_SORT_KEYS,
    )


class HeadSigner:
    """HMAC-SHA256 over exports, with one purpose-bound subkey per keyring entry."""

    def __init__(self, keyring: Keyring) -> None:
        self._current = keyring.current_kid
        self._keys = {kid: derive_subkey(key, _PURPOSE) for kid, key in keyring.keys.items()}

    def _mac(self, key: bytes, last_id: int, last_hash: str, exported_at: str) -> str:
        message = _canonical(last_id, last_hash, exported_at)
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    @property
    def current_kid(self) -> str:
        return self._current

    def knows(self, kid: str) -> bool:
        return kid in self._keys

    def sign(self, *, last_id: int, last_hash: str, exported_at: str) -> HeadExport:
        mac = self._mac(self._keys[self._current], last_id, last_hash, exported_at)
        return HeadExport(last_id, last_hash, exported_at, self._current, mac)

    def verify(self, export: HeadExport) -> bool:
        key = self._keys.get(export.kid)
        if key is None:
            return False
        expected = self._mac(key, export.last_id, export.last_hash, export.exported_at)
        return hmac.compare_digest(expected, export.hmac)


@dataclass(frozen=True, slots=True)
class Mismatch:
    reason: Reason
    first_bad_id: int


def compare_with_export(
    export: HeadExport, *, entries: int, hash_at_export: str | None
) -> Mismatch | None:
    """How the database (``entries`` contiguous entries) disagrees with an authentic export.

    ``hash_at_export`` is the stored hash of entry ``export.last_id`` (None if missing).
    """
    if entries < export.last_id:
        return Mismatch(Reason.TRUNCATED_TAIL, entries + 1)
    if export.last_id > 0 and hash_at_export != export.last_hash:
        # Some entry up to this one was rewritten; the export cannot tell which.
        return Mismatch(Reason.REWRITTEN, export.last_id)
    return None


async def _write_before_unlock(path: Path, export: HeadExport) -> None:
    # A thread cannot be cancelled: if our caller is, wait for the rename anyway, so the
    # lock is never released while an older export could still land after a newer one.
    write = asyncio.ensure_future(asyncio.to_thread(write_export, path, export))
    try:
        await asyncio.shield(write)
    except asyncio.CancelledError:
        await write
        raise


class Outcome(StrEnum):
    WRITTEN = "written"
    UNCHANGED = "unchanged"  # the export already names the current head
    REFUSED = "refused"  # the previous export disagrees with the database


@dataclass(frozen=True, slots=True)
class ExportResult:
    outcome: Outcome
    export: HeadExport | None = None
    reason: Reason | None = None


def _problem_with(
    previous: HeadExport, signer: HeadSigner, *, last_id: int, anchored: str | None
) -> Reason | None:
    """Why the database no longer continues ``previous`` (None when it does)."""
    # An export under a key retired since cannot be authenticated, but it is still
    # compared with the database, so a rotation never blocks exports.
    if signer.knows(previous.kid) and not signer.verify(previous):
        return Reason.EXPORT_SIGNATURE
    mismatch = compare_with_export(previous, entries=last_id, hash_at_export=anchored)
    return mismatch.reason if mismatch else None


async def export_head(
    sessions: async_sessionmaker[AsyncSession],
    signer: HeadSigner,
    path: Path,
    *,
    force: bool = False,
) -> ExportResult:
    """Export the committed head to ``path`` and the log, unless that would move backwards.

    ``sessions`` should be the autocommit read factory: the head is read in its own
    short read, after the appends it covers were committed. ``force`` skips the checks
    against the previous export (an operator's decision after an investigation).
    """
    async with locked(path):
        # Read the previous export and the database under the lock: nobody can export in
        # between, so a head older than the previous export means entries were removed.
        try:
            previous = await asyncio.to_thread(read_export, path)
            problem = None
        except ExportFormatError:
            previous, problem = None, Reason.EXPORT_UNREADABLE
        async with sessions() as session:
            last_id, last_hash = await repository.head_values(session)
            anchored = (
                await repository.hash_of(session, previous.last_id)
                if previous is not None and previous.last_id > 0
                else None
            )
        if previous is not None and problem is None:
            problem = _problem_with(previous, signer, last_id=last_id, anchored=anchored)
        if problem is not None and not force:
            logger.error(
                "audit.head_export_refused",
                reason=str(problem),
                path=str(path),
                db_last_id=last_id,
                exported_last_id=previous.last_id if previous else None,
            )
            return ExportResult(Outcome.REFUSED, previous, problem)
        # Nothing new to anchor. An unchanged head is still re-signed after a rotation, so
        # the old key can be retired without leaving an export nobody can authenticate.
        unchanged = last_id == 0 or (
            previous is not None
            and (previous.last_id, previous.last_hash) == (last_id, last_hash)
            and previous.kid == signer.current_kid
        )
        if unchanged and not force:
            return ExportResult(Outcome.UNCHANGED, previous)
        export = signer.sign(
            last_id=last_id,
            last_hash=last_hash,
            exported_at=utcnow().isoformat(timespec="microseconds"),
        )
        await _write_before_unlock(path, export)
    logger.info("audit.head_exported", **export.as_dict())
    return ExportResult(Outcome.WRITTEN, export)
