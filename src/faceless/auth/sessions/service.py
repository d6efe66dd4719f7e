"""A user's own sign-in sessions: what is live, and ending one of them.

Sessions are their owner's only, for admins too: another user's session id is a 404,
exactly like an unknown one. Ending a session goes through ``auth.revocation``, so its
access and refresh tokens stop on the next request in every process.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.auth import revocation
from faceless.auth.sessions import repository
from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.db.base import utcnow
from faceless.errors import ProblemError
from faceless.models import AuthSession


async def list_live(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[AuthSession], int]:
    now = utcnow()
    rows = await repository.live_sessions(session, user_id, now=now, limit=limit, offset=offset)
    return rows, await repository.count_live(session, user_id, now=now)


async def revoke(
    session: AsyncSession, *, user_id: uuid.UUID, session_id: uuid.UUID, ctx: RequestContext
) -> None:
    now = utcnow()
    if await repository.find_live(session, user_id, session_id, now=now) is None:
        raise ProblemError(404, "No such session.")
    await revocation.revoke_sessions(
        session, user_id=user_id, only=session_id, now=now, reason="user_revoked"
    )
    await record(
        session,
        action="auth.session_revoke",
        actor_id=user_id,
        target=f"session:{session_id}",
        ctx=ctx,
    )
