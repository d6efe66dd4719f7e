from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

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
    total = await session.scalar(select(func.count()).select_from(query.subquery()))
    page = query.order_by(Video.created_at.desc(), Video.id).limit(limit).offset(offset)
    return (await session.scalars(page)).all(), int(total or 0)


async def add(session: AsyncSession, video: Video) -> Video:
    session.add(video)
    await session.flush()
    return video


async def delete(session: AsyncSession, video: Video) -> None:
    await session.delete(video)
    await session.flush()
