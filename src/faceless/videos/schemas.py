from __future__ import annotations

import uuid

from faceless.models import Privacy, VideoStatus
from faceless.schemas import PatchModel, RequestModel, ResponseModel, UtcDatetime
from faceless.videos.fields import (
    CategoryId,
    DescriptionStr,
    LanguageTag,
    ScriptStr,
    TagList,
    TitleStr,
)


class VideoCreate(RequestModel):
    title: TitleStr
    description: DescriptionStr = ""
    script: ScriptStr = ""
    tags: TagList = []
    privacy: Privacy = Privacy.PRIVATE
    made_for_kids: bool = False
    contains_synthetic_media: bool = False
    category_id: CategoryId = "22"
    default_language: LanguageTag = ""


class VideoUpdate(PatchModel):
    title: TitleStr | None = None
    description: DescriptionStr | None = None
    script: ScriptStr | None = None
    tags: TagList | None = None
    privacy: Privacy | None = None
    made_for_kids: bool | None = None
    contains_synthetic_media: bool | None = None
    category_id: CategoryId | None = None
    default_language: LanguageTag | None = None


class VideoOut(ResponseModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    description: str
    script: str
    tags: list[str]
    privacy: Privacy
    status: VideoStatus
    made_for_kids: bool
    contains_synthetic_media: bool
    category_id: str
    default_language: str | None
    # The YouTube video id once the YouTube publisher has published it; null otherwise.
    youtube_id: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class MediaOut(ResponseModel):
    """The stored rendered video (``PUT /videos/{id}/media``)."""

    size: int
    content_type: str
    sha256: str
    duration_seconds: float


class ThumbnailOut(ResponseModel):
    """The stored thumbnail (``PUT /videos/{id}/thumbnail``)."""

    size: int
    content_type: str
    width: int
    height: int
