from __future__ import annotations

import uuid

from faceless.schemas import ResponseModel, UtcDatetime


class SessionOut(ResponseModel):
    id: uuid.UUID
    created_at: UtcDatetime
    last_used_at: UtcDatetime | None
    ip: str | None
    user_agent: str | None
    # The session the listing request itself came with.
    current: bool
