"""Secret loads and failures into the audit trail (name, backend, outcome; no value).

The secret manager runs before the database is reachable (the database URL may itself
be a secret), so its events are collected in memory and written here once the service
starts, and again after each reload. ``target`` is ``secret:NAME@backend``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.db.audit.writer import record
from faceless.db.session import transaction
from faceless.secrets.manager import SecretEvent

LOADED = "secrets.load"
LOAD_FAILED = "secrets.load_failed"


async def record_secret_events(
    sessions: async_sessionmaker[AsyncSession], events: list[SecretEvent]
) -> int:
    """Write and forget the pending ``events``, including any that arrive meanwhile."""
    written = 0
    while pending := events[:]:
        async with transaction(sessions) as session:
            for event in pending:
                await record(
                    session,
                    action=LOADED if event.outcome == "success" else LOAD_FAILED,
                    outcome=event.outcome,
                    actor_id=None,
                    target=f"secret:{event.name}@{event.backend}",
                    ctx=None,
                )
        del events[: len(pending)]
        written += len(pending)
    return written
