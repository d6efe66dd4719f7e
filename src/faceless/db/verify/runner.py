"""``faceless db verify``: prove the database is hardened, one named check at a time.

Design:

* Runs as the **runtime role** (``DATABASE_URL``), because what matters is what the API
  and workers can do, not what an administrator sees. Everything it reads is visible to
  that role: ``pg_settings`` (pgaudit registers its parameters only when preloaded, and
  ``shared_preload_libraries`` itself is superuser-only), the catalogs and
  ``has_*_privilege``.
* What the role must *not* be able to do is tried for real (``CREATE TABLE``, ``ALTER``,
  ``DROP``, ``UPDATE``/``DELETE``/``TRUNCATE`` of the audit trail), each statement in a
  savepoint of one transaction that is always rolled back, so even a misconfigured
  superuser login changes nothing. A refusal is a pass.
* Every check reports PASS, FAIL or SKIP with its evidence; an exception inside a check is
  that check's FAIL, never a crash. On SQLite the PostgreSQL checks are skipped and the
  encryption round trip and the audit chain still run.
* No SQL here is assembled from strings: statements are literals, values are bound.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Any

from sqlalchemy import Column, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection

from faceless.crypto.aead import DecryptionError
from faceless.db.audit.verify import verify_chain
from faceless.db.base import Base
from faceless.db.encryption import EncryptedText
from faceless.db.engine import is_sqlite
from faceless.db.session import transaction
from faceless.db.verify.check import Check, Status, VerifyTarget, db_error, format_check
from faceless.db.verify.postgres_checks import POSTGRES_CHECKS

__all__ = ["Check", "Status", "format_check", "run_checks"]


async def _encryption(target: VerifyTarget) -> Check:
    cipher = target.data_protection.cipher
    probe = "faceless db verify probe " + uuid.uuid4().hex
    row_id = uuid.uuid4()
    sealed = cipher.seal(probe, table="verify", column="probe", row_id=row_id)
    if (
        probe in sealed
        or cipher.open(sealed, table="verify", column="probe", row_id=row_id) != probe
    ):
        return Check("encryption.round_trip", Status.FAIL, "a sealed probe did not open to itself")
    try:
        cipher.open(sealed, table="verify", column="probe", row_id=uuid.uuid4())
    except DecryptionError:
        pass
    else:
        return Check("encryption.round_trip", Status.FAIL, "a probe opened under another row id")
    opened: list[str] = []
    missing: list[str] = []
    async with target.engine.connect() as conn:
        present = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                # Not migrated that far: runtime.privileges names the missing table.
                missing.extend(
                    f"{table.name}.{c.name}"
                    for c in table.columns
                    if isinstance(c.type, EncryptedText)
                )
                continue
            for column in table.columns:
                if not isinstance(column.type, EncryptedText):
                    continue
                # The row id the value is bound to is the table's key, whatever its name.
                (key,) = table.primary_key.columns
                stored = await _stored_value(conn, key, column)
                if stored is None:
                    continue
                # Raises DecryptionError (naming table, column, row) when the keyring is wrong.
                cipher.open(stored[1], table=table.name, column=column.name, row_id=stored[0])
                opened.append(f"{table.name}.{column.name}")
    return Check(
        "encryption.round_trip",
        Status.PASS,
        f"current key {cipher.current_kid}: probe sealed, opened, refused under another row; "
        f"stored values opened: {', '.join(opened) or 'none stored yet'}"
        + (f"; not in this database yet: {', '.join(missing)}" if missing else ""),
    )


async def _stored_value(
    conn: AsyncConnection, id_column: Column[Any], column: Column[Any]
) -> tuple[object, str] | None:
    query = select(id_column, column).where(column.is_not(None)).limit(1)
    row = (await conn.execute(query)).one_or_none()
    return None if row is None else (row[0], str(row[1]))


async def _audit_chain(target: VerifyTarget) -> Check:
    async with transaction(target.sessions) as session:
        # Against the off-database head export too, so a truncated or rewritten tail fails.
        report = await verify_chain(
            session,
            head_file=target.settings.audit_head_file,
            keyring=target.data_protection.cipher.keyring,
        )
    if report.valid:
        return Check("audit.chain", Status.PASS, f"intact: {report.entries} entries")
    reason = report.reason
    return Check(
        "audit.chain",
        Status.FAIL,
        f"BROKEN at entry {report.first_bad_id}{f': {reason}' if reason else ''} "
        f"({report.entries} entries verified before it)",
    )


async def run_checks(target: VerifyTarget) -> list[Check]:
    """Every check, in a stable order; a raising check becomes its own FAIL."""
    names = [name for name, _ in POSTGRES_CHECKS]
    if is_sqlite(target.settings.database_url):
        checks = [Check(n, Status.SKIP, "PostgreSQL only (this database is SQLite)") for n in names]
    else:
        checks = await _postgres_checks(target)
    checks.append(await _guarded("encryption.round_trip", _encryption(target)))
    checks.append(await _guarded("audit.chain", _audit_chain(target)))
    return checks


async def _postgres_checks(target: VerifyTarget) -> list[Check]:
    checks: list[Check] = []
    try:
        async with target.engine.connect() as conn:
            for name, function in POSTGRES_CHECKS:
                checks.append(await _guarded(name, function(conn, target)))
                # Each check starts clean: end what it began (or what a failure aborted).
                await conn.rollback()
    except Exception as exc:  # no connection: FAIL lines, not a traceback
        done = {c.name for c in checks}
        checks.append(Check("postgres.connect", Status.FAIL, f"error: {db_error(exc)}"))
        checks.extend(
            Check(n, Status.FAIL, "not run: no connection")
            for n, _ in POSTGRES_CHECKS
            if n not in done and n != "postgres.connect"
        )
    return checks


async def _guarded(name: str, check: Awaitable[Check]) -> Check:
    try:
        return await check
    except DecryptionError as exc:
        return Check(name, Status.FAIL, str(exc))
    except Exception as exc:  # a failing check is reported, not raised
        return Check(name, Status.FAIL, f"error: {db_error(exc)}")
