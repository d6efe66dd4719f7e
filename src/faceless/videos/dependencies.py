"""``Depends`` wrappers for video routes: the path's video, if the caller may see it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from faceless.api.auth import CurrentUser
from faceless.api.deps import DbSession
from faceless.models import Video
from faceless.videos.service import find_visible_video


async def _visible_video(video_id: uuid.UUID, principal: CurrentUser, session: DbSession) -> Video:
    return await find_visible_video(session, video_id, principal)


VisibleVideo = Annotated[Video, Depends(_visible_video)]
