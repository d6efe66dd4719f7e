from __future__ import annotations

import uuid

from pydantic import AwareDatetime

from faceless.models import Privacy, ScheduleStatus
from faceless.schemas import RequestModel, ResponseModel, UtcDatetime


class ScheduleCreate(RequestModel):
    video_id: uuid.UUID
    # AwareDatetime: a time without an offset is ambiguous, so it is a 422.
    publish_at: AwareDatetime
    privacy: Privacy | None = None


class ScheduleOut(ResponseModel):
    id: uuid.UUID
    video_id: uuid.UUID
    publish_at: UtcDatetime
    privacy: Privacy | None
    status: ScheduleStatus
    job_id: uuid.UUID | None
    # Why it waits (quota, rate limit) or why it failed; null when there is nothing to say.
    detail: str | None
    created_at: UtcDatetime
