"""Appending to the audit chain, inside the caller's transaction.

``record`` appends inside the caller's transaction, so an action and its audit
event commit or roll back together. Failure events that must survive a refused
request are recorded by the endpoint in a transaction of their own.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.context import RequestContext
from faceless.db.audit import repository
from faceless.db.audit.chain import event_hash
from faceless.db.audit.head_export_schedule import note_append
from faceless.db.base import utcnow
from faceless.models import AuditEvent

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
    note_append(session)  # counted at commit; wakes the head exporter (see exporter.py)
