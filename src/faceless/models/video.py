from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, String, Text
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
