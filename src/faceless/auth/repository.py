"""SQL for users' sign-in state: sessions, refresh tokens, login throttles."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.repository import affected_rows
from faceless.models import AuthSession, LoginThrottle, RefreshToken, User

# A row deleted under a waiting lock is inserted again; a few rounds settle any race.
_LOCK_ATTEMPTS = 5


async def user_with_session(
    session: AsyncSession, *, user_id: uuid.UUID, session_id: uuid.UUID
) -> tuple[User, AuthSession] | None:
    query = (
        select(User, AuthSession)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(User.id == user_id, AuthSession.id == session_id)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def find_refresh_token(
    session: AsyncSession, token_hashes: Collection[str]
) -> tuple[RefreshToken, AuthSession, User] | None:
    query = (
        select(RefreshToken, AuthSession, User)
        .join(AuthSession, AuthSession.id == RefreshToken.session_id)
        .join(User, User.id == AuthSession.user_id)
        .where(RefreshToken.token_hash.in_(token_hashes))
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1], row[2]) if row else None


async def mark_refresh_used(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Atomically spend a refresh token; False when someone already spent it."""
    result = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token_id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
    )
    return affected_rows(result) > 0


async def revoke_sessions(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    only: uuid.UUID | None = None,
    keep: uuid.UUID | None = None,
) -> None:
    query = update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if only is not None:
        query = query.where(AuthSession.id == only)
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    await session.execute(query.values(revoked_at=now, revoked_reason=reason))


async def lock_throttle(session: AsyncSession, username: str) -> LoginThrottle:
    """The name's counter row, created if missing and locked until the transaction ends.

    Concurrent sign-ins for one name queue here, so each sees the count the previous
    one left. The insert comes first: on PostgreSQL a concurrent first attempt waits
    on it instead of failing on the primary key, and on SQLite it takes the database's
    write lock before anything is read, which serialises the read-modify-write too.
    A success deletes the row (``clear_throttle``): a sign-in that was waiting for its
    lock then finds none, and inserts it again.
    """
    dialect = session.get_bind().dialect.name
    values = {"username": username, "failures": 0}
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    query = (
        select(LoginThrottle)
        .where(LoginThrottle.username == username)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for _ in range(_LOCK_ATTEMPTS):
        await session.execute(
            insert(LoginThrottle)
            .values(**values)
            .on_conflict_do_nothing(index_elements=[LoginThrottle.username])
        )
        row = (await session.scalars(query)).one_or_none()
        if row is not None:
            return row
    raise RuntimeError("the login throttle row kept disappearing")


async def clear_throttle(session: AsyncSession, username: str) -> None:
    await session.execute(delete(LoginThrottle).where(LoginThrottle.username == username))


async def release_attempt(session: AsyncSession, username: str) -> None:
    """Take back one attempt counted in advance that turned out not to be a failure.

    It had been refused had the name been locked when it was counted, so a lock
    present now was started by it (or by a failure counted after it): it goes too.
    """
    await session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.username == username, LoginThrottle.failures > 0)
        .values(failures=LoginThrottle.failures - 1, locked_until=None)
    )


async def touch_session(
    session: AsyncSession, session_id: uuid.UUID, *, now: datetime, stale_before: datetime
) -> None:
    """Record a use of the session, unless one was recorded since ``stale_before``."""
    await session.execute(
        update(AuthSession)
        .where(
            AuthSession.id == session_id,
            or_(AuthSession.last_used_at.is_(None), AuthSession.last_used_at < stale_before),
        )
        .values(last_used_at=now)
    )
