from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from faceless.db.base import Base, StrEnumColumn, Timestamps, UuidPrimaryKey
from faceless.db.encryption import EncryptedText


class Privacy(StrEnum):
    PRIVATE = "private"
    UNLISTED = "unlisted"
    PUBLIC = "public"


class VideoStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"
    FAILED = "failed"


class Video(UuidPrimaryKey, Timestamps, Base):
    __tablename__ = "videos"

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(400))
    description: Mapped[str] = mapped_column(Text, default="")
    script: Mapped[str] = mapped_column(EncryptedText(), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    privacy: Mapped[Privacy] = mapped_column(StrEnumColumn(Privacy), default=Privacy.PRIVATE)
    status: Mapped[VideoStatus] = mapped_column(
        StrEnumColumn(VideoStatus), default=VideoStatus.DRAFT, index=True
    )

    # Disclosures YouTube asks for (snippet.categoryId, snippet.defaultLanguage,
    # status.selfDeclaredMadeForKids, status.containsSyntheticMedia); "22" is People & Blogs.
    made_for_kids: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    contains_synthetic_media: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    category_id: Mapped[str] = mapped_column(String(8), default="22", server_default="22")
    default_language: Mapped[str | None] = mapped_column(String(35), default=None)
    # The uploaded media and thumbnail (the files are under var/, named by the video id);
    # all null until one is uploaded.
    media_content_type: Mapped[str | None] = mapped_column(String(32), default=None)
    media_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    media_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    media_duration_seconds: Mapped[float | None] = mapped_column(Float, default=None)
    thumbnail_content_type: Mapped[str | None] = mapped_column(String(32), default=None)
    thumbnail_size: Mapped[int | None] = mapped_column(Integer, default=None)
    thumbnail_width: Mapped[int | None] = mapped_column(Integer, default=None)
    thumbnail_height: Mapped[int | None] = mapped_column(Integer, default=None)
    # Set when the YouTube publisher published it (the id in https://youtu.be/<id>).
    youtube_id: Mapped[str | None] = mapped_column(String(32), default=None)
