from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from faceless.db.base import Base, StrEnumColumn, UtcDateTime, UuidPrimaryKey, utcnow
from faceless.models.video import Privacy


class ScheduleStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"


class Schedule(UuidPrimaryKey, Base):
    __tablename__ = "schedules"
    __table_args__ = (
        # At most one pending schedule per video, enforced by the database itself.
        Index(
            "uq_schedules_pending_video",
            "video_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_schedules_due", "status", "publish_at"),
    )

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    video_id: Mapped[uuid.UUID]
    publish_at: Mapped[datetime] = mapped_column(UtcDateTime)
    privacy: Mapped[Privacy | None] = mapped_column(StrEnumColumn(Privacy))
    status: Mapped[ScheduleStatus] = mapped_column(
        StrEnumColumn(ScheduleStatus), default=ScheduleStatus.PENDING
    )
    job_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set once by the scheduler that wins the claim; the claim is the exactly-once guard.
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why the schedule is waiting or failed, for its owner (null when there is nothing to say).
    detail: Mapped[str | None] = mapped_column(Text)
    # A deferred schedule (the day's quota, a rate limit) is not due before this time.
    not_before: Mapped[datetime | None] = mapped_column(UtcDateTime)
