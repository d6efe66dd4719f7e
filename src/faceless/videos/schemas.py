from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from pydantic import model_validator

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


class MediaOut(ResponseModel):
    # Assigned, not a docstring: -OO strips docstrings, and this is the OpenAPI description.
    __doc__ = "The stored rendered video (``PUT /videos/{id}/media``)."

    size: int
    content_type: str
    sha256: str
    duration_seconds: float


class ThumbnailOut(ResponseModel):
    # Assigned, not a docstring: -OO strips docstrings, and this is the OpenAPI description.
    __doc__ = "The stored thumbnail (``PUT /videos/{id}/thumbnail``)."

    size: int
    content_type: str
    width: int
    height: int


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
    created_at: UtcDatetime
    updated_at: UtcDatetime
    # Additions: what has been uploaded (null until then).
    media: MediaOut | None = None
    thumbnail: ThumbnailOut | None = None
    # The YouTube video id once the YouTube publisher has published it; null otherwise.
    youtube_id: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _uploaded_files(cls, data: Any) -> Any:
        """Group the row's flat media and thumbnail columns (an ORM object or a mapping)."""

        def read(name: str) -> Any:
            return data.get(name) if isinstance(data, Mapping) else getattr(data, name, None)

        fields = {name: read(name) for name in cls.model_fields if name not in _FILES}
        if read("media_content_type") is not None:
            fields["media"] = {
                "size": read("media_size"),
                "content_type": read("media_content_type"),
                "sha256": read("media_sha256"),
                "duration_seconds": read("media_duration_seconds"),
            }
        if read("thumbnail_content_type") is not None:
            fields["thumbnail"] = {
                "size": read("thumbnail_size"),
                "content_type": read("thumbnail_content_type"),
                "width": read("thumbnail_width"),
                "height": read("thumbnail_height"),
            }
        return fields


_FILES = frozenset({"media", "thumbnail"})
