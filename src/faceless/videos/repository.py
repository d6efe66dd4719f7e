from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.repository import add, delete, paginate
from faceless.models import Video, VideoStatus


def _visible(query: Select[Video], owner_id: uuid.UUID | None) -> Select[Video]:
    # owner_id None means an administrator: every user's videos are visible.
    return query if owner_id is None else query.where(Video.owner_id == owner_id)


async def get_visible(
    session: AsyncSession,
    video_id: uuid.UUID,
    *,
    owner_id: uuid.UUID | None,
    for_update: bool = False,
) -> Video | None:
    query = _visible(select(Video).where(Video.id == video_id), owner_id)
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def list_visible(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID | None,
    status: VideoStatus | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Video], int]:
    query = _visible(select(Video), owner_id)
    if status is not None:
        query = query.where(Video.status == status)
    return await paginate(
        session, query, Video.created_at.desc(), Video.id, limit=limit, offset=offset
    )


__all__ = ["add", "delete", "get_visible", "list_visible"]
