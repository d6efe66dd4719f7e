"""Ownership: a video another user owns does not exist, as far as the caller can tell."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.api.deps import DbSession
from faceless.auth.dependencies import CurrentUser, Principal
from faceless.errors import not_found
from faceless.models import Video
from faceless.videos import repository


def owner_scope(principal: Principal) -> uuid.UUID | None:
    return None if principal.is_admin else principal.id


async def find_visible_video(
    session: AsyncSession, video_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> Video:
    video = await repository.get_visible(
        session, video_id, owner_id=owner_scope(principal), for_update=for_update
    )
    if video is None:
        raise not_found("video")
    return video


async def _visible_video(video_id: uuid.UUID, principal: CurrentUser, session: DbSession) -> Video:
    return await find_visible_video(session, video_id, principal)


VisibleVideo = Annotated[Video, Depends(_visible_video)]
