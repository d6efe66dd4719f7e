from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Insert, Select, Table, bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.encryption import DataProtection, open_rows, open_with, seal_with
from faceless.db.fast_read import FastReader
from faceless.db.fast_write import Write
from faceless.db.repository import add, delete, fast_page, get_owned
from faceless.models import Video, VideoStatus

# The columns a new video is written with; the others (media, thumbnail, YouTube id)
# stay NULL until their uploads and publishing fill them.
NEW_VIDEO_FIELDS = (
    "id",
    "owner_id",
    "title",
    "description",
    "script",
    "tags",
    "privacy",
    "status",
    "made_for_kids",
    "contains_synthetic_media",
    "category_id",
    "default_language",
    "created_at",
    "updated_at",
)


def _insert_new() -> Insert:
    table = cast(Table, Video.__table__)
    return insert(table).inline().values({name: bindparam(name) for name in NEW_VIDEO_FIELDS})


def insert_new(protection: DataProtection, values: Mapping[str, Any]) -> Write:
    """The INSERT of one video from plain values (``script`` in plaintext; sealed here).

    The write path of ``POST /api/v1/videos`` (``db.fast_write``): one Core INSERT,
    compiled once, without the ORM's unit of work or a session.
    """
    row = dict(values)
    row["script"] = seal_with(protection, Video.script, row["id"], row["script"])
    return Write("videos.insert_new", _insert_new, row)


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


def _visible(*, by_owner: bool, by_status: bool) -> tuple[Select[Any], tuple[Any, ...]]:
    table = Video.__table__
    query = select(table)
    if by_owner:  # without it: an administrator, who sees every user's videos
        query = query.where(table.c.owner_id == bindparam("owner_id"))
    if by_status:
        query = query.where(table.c.status == bindparam("status"))
    return query, (table.c.created_at.desc(), table.c.id)


def _one_visible(*, by_owner: bool) -> Select[Any]:
    table = Video.__table__
    query = select(table).where(table.c.id == bindparam("video_id"))
    if by_owner:  # without it: an administrator
        query = query.where(table.c.owner_id == bindparam("owner_id"))
    return query


async def read_visible(
    reader: FastReader,
    protection: DataProtection,
    video_id: uuid.UUID,
    *,
    owner_id: uuid.UUID | None,
) -> dict[str, Any] | None:
    """One video as a plain mapping, script opened, if ``owner_id`` may see it (hot path)."""
    by_owner = owner_id is not None
    rows = await reader.read(
        f"videos.read_visible:{by_owner}",
        lambda: _one_visible(by_owner=by_owner),
        {"video_id": video_id, "owner_id": owner_id},
    )
    if not rows:
        return None
    row = rows[0]
    row["script"] = open_with(protection, Video.script, row["id"], row["script"])
    return row


async def list_visible(
    reader: FastReader,
    protection: DataProtection,
    *,
    owner_id: uuid.UUID | None,
    status: VideoStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """A page of videos as plain mappings, scripts opened.

    The hot read path of the API (``db.fast_read``): no session, no ORM instances; each
    script is opened explicitly with its row id as associated data. Writes still load
    entities through ``get_visible``.
    """
    by_owner, by_status = owner_id is not None, status is not None
    items, total = await fast_page(
        reader,
        f"videos.list_visible:{by_owner}:{by_status}",
        lambda: _visible(by_owner=by_owner, by_status=by_status),
        {"owner_id": owner_id, "status": status},
        limit=limit,
        offset=offset,
    )
    open_rows(protection, Video.script, items, "script")
    return items, total


__all__ = ["add", "delete", "get_by_id", "get_visible", "insert_new", "list_visible"]
