"""The SQL of rotation: keyset-paged reads of values not under a key, guarded rewrites."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, Table, Text, and_, not_, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.crypto.aead import PREFIX
from faceless.db.repository import affected_rows


@dataclass(frozen=True, slots=True)
class StoredValue:
    row_id: uuid.UUID
    value: str


async def stale_values(
    session: AsyncSession,
    table: Table,
    column: Column[Any],
    *,
    current_kid: str,
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[StoredValue]:
    """Up to ``limit`` values not sealed under ``current_kid``, in id order after ``after``."""
    (pk,) = table.primary_key.columns
    # Compared as plain text: legacy rows hold plaintext, which EncryptedText never binds.
    raw = type_coerce(column, Text())
    query = (
        select(pk, column)
        .where(
            column.is_not(None),
            not_(raw.startswith(f"{PREFIX}{current_kid}:", autoescape=True)),
        )
        .order_by(pk)
        .limit(limit)
    )
    if after is not None:
        query = query.where(pk > after)
    rows = (await session.execute(query)).all()
    return [StoredValue(row[0], row[1]) for row in rows]


async def replace_value(
    session: AsyncSession,
    table: Table,
    column: Column[Any],
    *,
    row_id: uuid.UUID,
    old: str,
    new: str,
    extra: dict[str, Any],
) -> bool:
    """Swap ``old`` for ``new`` unless the application rewrote the value meanwhile."""
    (pk,) = table.primary_key.columns
    outcome = await session.execute(
        update(table)
        .where(and_(pk == row_id, type_coerce(column, Text()) == old))
        .values({column.name: new, **extra})
    )
    return affected_rows(outcome) == 1
