"""SQL for API tokens."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.repository import affected_rows
from faceless.models import ApiToken, User


async def token_with_owner(
    session: AsyncSession, token_hashes: Collection[str]
) -> tuple[ApiToken, User] | None:
    query = (
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash.in_(token_hashes))
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def touch(
    session: AsyncSession, token_id: uuid.UUID, *, now: datetime, stale_before: datetime
) -> None:
    """Record a use of the token, unless one was recorded since ``stale_before``."""
    await session.execute(
        update(ApiToken)
        .where(
            ApiToken.id == token_id,
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < stale_before),
        )
        .values(last_used_at=now)
    )


async def list_tokens(
    session: AsyncSession, user_id: uuid.UUID, *, limit: int, offset: int
) -> Sequence[ApiToken]:
    query = (
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.scalars(query)).all()


async def count_tokens(session: AsyncSession, user_id: uuid.UUID) -> int:
    query = (
        select(func.count())
        .select_from(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
    )
    return int(await session.scalar(query) or 0)


async def count_live(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> int:
    query = (
        select(func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.user_id == user_id,
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
    )
    return int(await session.scalar(query) or 0)


async def revoke(
    session: AsyncSession, *, user_id: uuid.UUID, token_id: uuid.UUID, now: datetime
) -> bool:
    """Revoke one of the user's unrevoked tokens; False when they have no such token."""
    result = await session.execute(
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return affected_rows(result) > 0
