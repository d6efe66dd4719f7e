"""Query helpers every feature repository shares."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.base import Base

M = TypeVar("M", bound=Base)


async def add(session: AsyncSession, row: M) -> M:
    session.add(row)
    await session.flush()
    return row


async def delete(session: AsyncSession, row: Base) -> None:
    await session.delete(row)
    await session.flush()


TOTAL = "total"


async def paginate(
    session: AsyncSession,
    query: Select[Any],
    *order_by: Any,
    limit: int,
    offset: int,
    whole_rows: bool = False,
) -> tuple[Sequence[Any], int]:
    """One page of ``query`` and the total number of rows it matches.

    The total rides along as a window function, so a page costs one round trip; only
    a page past the end (no rows to carry it) needs a separate count. Items are the
    first column (an ORM entity), or with ``whole_rows`` the row mappings of a Core
    select (``total`` included).
    """
    counted = (
        query.add_columns(func.count().over().label(TOTAL))
        .order_by(*order_by)
        .limit(limit)
        .offset(offset)
    )
    rows = (await session.execute(counted)).all()
    if rows:
        items = [row._mapping for row in rows] if whole_rows else [row[0] for row in rows]
        return items, int(rows[0].total)
    if offset == 0:
        return [], 0
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    return [], int(total or 0)
