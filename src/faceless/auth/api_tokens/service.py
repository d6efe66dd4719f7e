"""API tokens: made, listed and revoked by their owner only (another's id is a 404).

A token's scopes may never exceed what its owner's role allows when it is made (422);
each request checks them again against the owner's role of that moment
(``Principal.has_scope``). Revoking a token bumps the principal generation
(``auth.revocation``), so it stops on the next request in every process.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.auth import revocation
from faceless.auth.api_tokens import repository
from faceless.auth.api_tokens.schemas import TokenCreate
from faceless.auth.scopes import SCOPES, allowed_scopes
from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.db.base import utcnow
from faceless.errors import ProblemError
from faceless.models import ApiToken, User
from faceless.security.api_tokens import ApiTokenHasher, new_api_token

# Bounded per user: listing and the lookups stay small, and a leaked session cannot
# mint tokens without end.
MAX_LIVE_TOKENS = 50


async def create(
    session: AsyncSession,
    hasher: ApiTokenHasher,
    *,
    user: User,
    data: TokenCreate,
    ctx: RequestContext,
) -> tuple[ApiToken, str]:
    """The new token's row and the token itself (never stored, shown once)."""
    beyond = sorted(set(data.scopes) - allowed_scopes(user.role), key=SCOPES.index)
    if beyond:
        raise ProblemError(
            422,
            f"Your role ({user.role.value}) does not allow: {', '.join(beyond)}.",
            extra={"errors": [{"loc": ["body", "scopes"], "msg": "scope not allowed for role"}]},
        )
    now = utcnow()
    if await repository.count_live(session, user.id, now) >= MAX_LIVE_TOKENS:
        raise ProblemError(
            409, f"At most {MAX_LIVE_TOKENS} live API tokens per user; revoke one first."
        )
    token = new_api_token()
    row = ApiToken(
        id=uuid.uuid4(),
        user_id=user.id,
        name=data.name,
        token_hash=hasher.digest(token),
        scopes=" ".join(sorted(data.scopes, key=SCOPES.index)),
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days),
    )
    session.add(row)
    await session.flush()
    await record(
        session, action="token.create", actor_id=user.id, target=f"token:{row.id}", ctx=ctx
    )
    return row, token


async def list_own(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[Sequence[ApiToken], int]:
    rows = await repository.list_tokens(session, user_id, limit=limit, offset=offset)
    return rows, await repository.count_tokens(session, user_id)


async def revoke(
    session: AsyncSession, *, user_id: uuid.UUID, token_id: uuid.UUID, ctx: RequestContext
) -> None:
    if not await repository.revoke(session, user_id=user_id, token_id=token_id, now=utcnow()):
        raise ProblemError(404, "No such API token.")
    revocation.principals_changed(session)
    await record(
        session, action="token.revoke", actor_id=user_id, target=f"token:{token_id}", ctx=ctx
    )
