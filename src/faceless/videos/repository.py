from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.encryption import open_column, seal_column
from faceless.db.repository import TOTAL, add, delete, get_owned, paginate
from faceless.models import Video, VideoStatus

_INSERT = insert(cast(Table, Video.__table__))


async def insert_new(session: AsyncSession, values: Mapping[str, Any]) -> None:
    """Insert one video from plain values (``script`` in plaintext; sealed here).

    The write path of ``POST /api/v1/videos``: one Core INSERT, compiled once, without
    the ORM's unit of work (instance state, flush planning, seal/restore events).
    """
    row = dict(values)
    row["script"] = seal_column(session, Video.script, row["id"], row["script"])
    await session.execute(_INSERT, row)


async def get_visible(
    session: AsyncSession,
    video_id: uuid.UUID,
    *,
    owner_id: uuid.UUID | None,
    for_update: bool = False,
) -> Video | None:
    return await get_owned(session, Video, video_id, owner_id=owner_id, for_update=for_update)


async def get_by_id(
    session: AsyncSession, video_id: uuid.UUID, *, for_update: bool = False
) -> Video | None:
    return await session.get(Video, video_id, with_for_update=for_update)


async def list_visible(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID | None,
    status: VideoStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """A page of videos as plain mappings, scripts opened.

    The hot read path of the API: a Core select skips ORM instance building, the
    identity map and load events (about a third of the request's time under load), and
    opens each script explicitly with the row id as associated data. Writes still load
    entities through ``get_visible``.
    """
    table = Video.__table__
    query = select(table)
    if owner_id is not None:  # None means an administrator: every user's videos
        query = query.where(table.c.owner_id == owner_id)
    if status is not None:
        query = query.where(table.c.status == status)
    rows, total = await paginate(
        session,
        query,
        table.c.created_at.desc(),
        table.c.id,
        limit=limit,
        offset=offset,
        whole_rows=True,
    )
    items = []
    for row in rows:
        item = {key: value for key, value in row.items() if key != TOTAL}
        item["script"] = open_column(session, Video.script, row["id"], row["script"])
        items.append(item)
    return items, total


__all__ = ["add", "delete", "get_by_id", "get_visible", "insert_new", "list_visible"]
