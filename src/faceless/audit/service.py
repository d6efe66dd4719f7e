"""Recording and verifying audit events.

``record`` appends inside the caller's transaction, so an action and its audit
event commit or roll back together. Failure events that must survive a refused
request are recorded by the endpoint in a transaction of their own.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.audit import repository
from faceless.audit.chain import event_hash
from faceless.context import RequestContext
from faceless.db.base import utcnow
from faceless.models import AuditEvent
from faceless.models.audit_event import GENESIS_HASH

Outcome = Literal["success", "failure", "denied"]


async def record(
    session: AsyncSession,
    *,
    action: str,
    outcome: Outcome = "success",
    actor_id: uuid.UUID | None,
    target: str | None,
    ctx: RequestContext | None,
) -> None:
    event_id, prev_hash = await repository.advance_head(session)
    event = AuditEvent(
        id=event_id,
        at=utcnow(),
        actor_id=actor_id,
        actor_ip=ctx.client_ip if ctx else None,
        action=action,
        target=target[:200] if target else target,
        outcome=outcome,
        request_id=ctx.request_id if ctx else None,
        prev_hash=prev_hash,
    )
    event.hash = event_hash(event)
    await repository.insert_event(session, event)


@dataclass(frozen=True, slots=True)
class ChainReport:
    valid: bool
    entries: int
    first_bad_id: int | None = None


async def verify_chain(session: AsyncSession) -> ChainReport:
    expected_prev = GENESIS_HASH
    expected_id = 1
    entries = 0
    async for event in repository.stream_events(session):
        recomputed = event_hash(event)
        if event.id != expected_id or event.prev_hash != expected_prev or event.hash != recomputed:
            return ChainReport(valid=False, entries=entries, first_bad_id=event.id)
        expected_prev = event.hash
        expected_id += 1
        entries += 1
    head = await repository.get_head(session)
    if head.last_id != entries or head.last_hash != expected_prev:
        # The tail was cut off (or the head forged): name the first missing entry.
        return ChainReport(valid=False, entries=entries, first_bad_id=entries + 1)
    return ChainReport(valid=True, entries=entries)
