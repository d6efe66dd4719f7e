from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from faceless.db.base import Base, StrEnumColumn, UtcDateTime, UuidPrimaryKey, utcnow
from faceless.db.encryption import EncryptedText


class JobKind(StrEnum):
    TRANSCRIBE = "transcribe"
    PUBLISH = "publish"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)


class Job(UuidPrimaryKey, Base):
    __tablename__ = "jobs"

    owner_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[JobKind] = mapped_column(StrEnumColumn(JobKind))
    status: Mapped[JobStatus] = mapped_column(
        StrEnumColumn(JobStatus), default=JobStatus.QUEUED, index=True
    )
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    # No foreign key: a job outlives the video it was made for (API.md keeps jobs on delete).
    video_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(16), default="en")
    # Server-chosen name of the stored upload; the client's file name is never a path.
    input_name: Mapped[str | None] = mapped_column(String(64))
    # The transcript (JSON), encrypted; the worker writes it with a Core UPDATE (seal_column).
    result: Mapped[str | None] = mapped_column(EncryptedText())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
