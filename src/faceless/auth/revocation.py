"""Changes to who a principal is, announced to every process's principal cache.

A revoked session, a disabled or re-enabled user, a changed role or password must stop
(or change) the affected tokens on the next request in every process; the caches in
``auth.principal_cache`` learn of it through the principal generation, bumped here once
the change has committed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.auth import repository
from faceless.db.session import after_commit
from faceless.security.principal_generation import PrincipalGeneration

# Where a transaction's session finds the process's generation (set by the runtime
# on its session makers, so services need no extra parameter to announce a change).
GENERATION_INFO_KEY = "faceless.principal_generation"


def principals_changed(session: AsyncSession) -> None:
    """Bump the principal generation once ``session``'s transaction has committed.

    Call it with every change that alters who a principal is: a session revoked, a
    user disabled or re-enabled, a role changed, a password changed. The bump runs
    before the request answers, so the client's next request, in any process, reads
    the database again.
    """
    generation: PrincipalGeneration | None = session.info.get(GENERATION_INFO_KEY)
    if generation is None:
        # A session maker without a generation (a test harness, a one-off script) serves
        # no cached principals either, so there is nothing to invalidate.
        return
    after_commit(session, generation.bump)


async def revoke_sessions(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    only: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
) -> None:
    """End a user's live sessions (``only`` one, or all but ``keep``), everywhere at once."""
    await repository.revoke_sessions(
        session, user_id=user_id, now=now, reason=reason, only=only, keep=keep
    )
    principals_changed(session)
