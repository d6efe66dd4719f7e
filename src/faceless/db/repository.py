"""Query helpers every feature repository shares."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Select, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.base import Base
from faceless.db.fast_read import FastReader

M = TypeVar("M", bound=Base)


async def add(session: AsyncSession, row: M) -> M:
    session.add(row)
    await session.flush()
    return row


async def delete(session: AsyncSession, row: Base) -> None:
    await session.delete(row)
    await session.flush()


async def get_owned(
    session: AsyncSession,
    model: type[M],
    row_id: uuid.UUID,
    *,
    owner_id: uuid.UUID | None,
    for_update: bool = False,
) -> M | None:
    """The row ``row_id`` of ``model`` if ``owner_id`` owns it; ``owner_id`` None sees all.

    One place for the ownership rule every feature shares: another user's row is simply
    not found (the API answers 404, so its existence is not revealed).
    """
    query = select(model).where(model.id == row_id)  # type: ignore[attr-defined]
    if owner_id is not None:
        query = query.where(model.owner_id == owner_id)  # type: ignore[attr-defined]
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


def affected_rows(result: Any) -> int:
    """Rows an UPDATE/DELETE matched (SQLite) or changed (PostgreSQL): equal for our conditions."""
    return int(cast(CursorResult[Any], result).rowcount)


async def count_rows(session: AsyncSession, query: Select[Any]) -> int:
    """How many rows ``query`` matches."""
    return int(await session.scalar(select(func.count()).select_from(query.subquery())) or 0)


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
    return [], await count_rows(session, query)


async def fast_page(
    reader: FastReader,
    key: str,
    build: Callable[[], tuple[Select[Any], tuple[Any, ...]]],
    values: Mapping[str, Any],
    *,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """``paginate`` on the hot read path (``db.fast_read``): one round trip per page.

    ``build`` returns the filtered select (its filters as named ``bindparam`` values
    found in ``values``) and its ordering; it runs once per ``key``.
    """

    def page() -> Select[Any]:
        query, order_by = build()
        # The total as an uncorrelated scalar subquery, counted once: the same snapshot
        # as the page, one round trip, and on SQLite half the cost of ``count() OVER ()``
        # (which materialises the filtered rows and sorts them again).
        total = query.with_only_columns(func.count(), maintain_column_froms=True)
        return (
            query.add_columns(total.scalar_subquery().label(TOTAL))
            .order_by(*order_by)
            .limit(bindparam("page_limit"))
            .offset(bindparam("page_offset"))
        )

    rows = await reader.read(key, page, {**values, "page_limit": limit, "page_offset": offset})
    if rows:
        total = int(rows[0][TOTAL])
        for row in rows:
            del row[TOTAL]
        return rows, total
    if offset == 0:
        return [], 0

    def count() -> Select[Any]:
        return select(func.count().label(TOTAL)).select_from(build()[0].subquery())

    counted = await reader.read(f"{key}:count", count, values)
    return [], int(counted[0][TOTAL])
