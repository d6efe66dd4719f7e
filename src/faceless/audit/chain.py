"""Hash-chain arithmetic, kept free of I/O so verification and appends agree exactly."""

from __future__ import annotations

import hashlib

import orjson

from faceless.models import AuditEvent


def event_hash(event: AuditEvent) -> str:
    """SHA-256 of the event's canonical JSON followed by the previous entry's hash."""
    canonical = orjson.dumps(
        {
            "action": event.action,
            "actor_id": str(event.actor_id) if event.actor_id else None,
            "actor_ip": event.actor_ip,
            "at": event.at.isoformat(timespec="microseconds"),
            "id": event.id,
            "outcome": event.outcome,
            "request_id": event.request_id,
            "target": event.target,
        },
        option=orjson.OPT_SORT_KEYS,
    )
    return hashlib.sha256(canonical + event.prev_hash.encode("ascii")).hexdigest()
