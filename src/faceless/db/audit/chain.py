"""Hash-chain arithmetic, kept free of I/O so verification and appends agree exactly."""

from __future__ import annotations

import hashlib
from enum import StrEnum

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


class Reason(StrEnum):
    """Why verification failed; reported by ``faceless audit verify`` and the API."""

    SEQUENCE_GAP = "sequence gap"  # ids are not 1, 2, 3, ...
    BROKEN_LINK = "broken link"  # prev_hash is not the previous entry's hash
    HASH_MISMATCH = "hash mismatch"  # an entry's content no longer matches its hash
    HEAD_MISMATCH = "head mismatch"  # the head row disagrees with the last entry
    TRUNCATED_TAIL = "truncated tail"  # entries the head row or the export names are gone
    REWRITTEN = "rewritten since export"  # the exported head entry now has another hash
    EXPORT_SIGNATURE = "export signature invalid"  # forged, or under a key no longer held
    EXPORT_UNREADABLE = "export unreadable"  # the export file is not a head export
