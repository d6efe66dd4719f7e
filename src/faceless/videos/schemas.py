from __future__ import annotations

import uuid

from faceless.models import Privacy, VideoStatus
from faceless.schemas import PatchModel, RequestModel, ResponseModel, UtcDatetime
from faceless.videos.fields import DescriptionStr, ScriptStr, TagList, TitleStr


class VideoCreate(RequestModel):
    title: TitleStr
    description: DescriptionStr = ""
    script: ScriptStr = ""
    tags: TagList = []
    privacy: Privacy = Privacy.PRIVATE


class VideoUpdate(PatchModel):
    title: TitleStr | None = None
    description: DescriptionStr | None = None
    script: ScriptStr | None = None
    tags: TagList | None = None
    privacy: Privacy | None = None


class VideoOut(ResponseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    description: str
    script: str
    tags: list[str]
    privacy: Privacy
    status: VideoStatus
    created_at: UtcDatetime
    updated_at: UtcDatetime
