"""Hash-chain arithmetic, kept free of I/O so verification and appends agree exactly."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

import orjson


def event_hash(
    *,
    event_id: int,
    at: datetime,
    actor_id: uuid.UUID | None,
    actor_ip: str | None,
    action: str,
    target: str | None,
    outcome: str,
    request_id: str | None,
    prev_hash: str,
) -> str:
    canonical = orjson.dumps(
        {
            "action": action,
            "actor_id": str(actor_id) if actor_id else None,
            "actor_ip": actor_ip,
            "at": at.isoformat(timespec="microseconds"),
            "id": event_id,
            "outcome": outcome,
            "request_id": request_id,
            "target": target,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical + prev_hash.encode("ascii")).hexdigest()
