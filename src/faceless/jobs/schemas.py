from __future__ import annotations

import uuid
from enum import StrEnum

from faceless.models import JobKind, JobStatus
from faceless.schemas import ResponseModel, UtcDatetime


class JobOut(ResponseModel):
    id: uuid.UUID
    kind: JobKind
    status: JobStatus
    progress: float
    video_id: uuid.UUID | None
    created_at: UtcDatetime
    started_at: UtcDatetime | None
    finished_at: UtcDatetime | None
    error: str | None


class ResultFormat(StrEnum):
    JSON = "json"
    SRT = "srt"
    VTT = "vtt"
    TXT = "txt"
