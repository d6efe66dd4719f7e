"""SQL for listing a user's own sign-in sessions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.models import AuthSession


def _live(user_id: uuid.UUID, now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        AuthSession.user_id == user_id,
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > now,
    )


async def live_sessions(
    session: AsyncSession, user_id: uuid.UUID, *, now: datetime, limit: int, offset: int
) -> Sequence[AuthSession]:
    query = (
        select(AuthSession)
        .where(*_live(user_id, now))
        .order_by(AuthSession.created_at.desc(), AuthSession.id)
        .limit(limit)
        .offset(offset)
    )
    return (await session.scalars(query)).all()


async def count_live(session: AsyncSession, user_id: uuid.UUID, *, now: datetime) -> int:
    query = select(func.count()).select_from(AuthSession).where(*_live(user_id, now))
    return int(await session.scalar(query) or 0)


async def find_live(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, *, now: datetime
) -> AuthSession | None:
    query = select(AuthSession).where(AuthSession.id == session_id, *_live(user_id, now))
    found: AuthSession | None = (await session.scalars(query)).first()
    return found
