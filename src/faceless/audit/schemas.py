from __future__ import annotations

import uuid

from faceless.schemas import ResponseModel, UtcDatetime


class AuditEventOut(ResponseModel):
    id: int
    at: UtcDatetime
    actor_id: uuid.UUID | None
    actor_ip: str | None
    action: str
    target: str | None
    outcome: str
    request_id: str | None


class ChainVerification(ResponseModel):
    # Assigned, not a docstring: -OO strips docstrings, and this is the OpenAPI description.
    __doc__ = (
        '``{"valid": true, "entries": N}``, or with ``first_bad_id`` and ``reason`` when broken.'
        "\n\n``first_bad_id`` is null when no entry is to blame (a forged export file)."
    )

    valid: bool
    entries: int
    first_bad_id: int | None = None
    reason: str | None = None
