"""Hash-chain arithmetic, kept free of I/O so verification and appends agree exactly."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Protocol

import orjson


class ChainedEvent(Protocol):
    """The fields the hash covers: an ``AuditEvent`` row, or one the sequencer is building."""

    @property
    def id(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def actor_id(self) -> uuid.UUID | None: ...
    @property
    def actor_ip(self) -> str | None: ...
    @property
    def action(self) -> str: ...
    @property
    def target(self) -> str | None: ...
    @property
    def outcome(self) -> str: ...
    @property
    def request_id(self) -> str | None: ...
    @property
    def prev_hash(self) -> str: ...


def event_hash(event: ChainedEvent) -> str:
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
