from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.crypto.hashing import normalise
from faceless.db.encryption import protection_of
from faceless.db.repository import add, count_rows
from faceless.models import Role, User


async def get_by_username(session: AsyncSession, username: str) -> User | None:
    return (await session.scalars(select(User).where(User.username == username))).first()


async def get_by_id(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def email_taken(session: AsyncSession, email: str) -> bool:
    # Blind index under every key in the ring: rows not yet rotated still count.
    index = protection_of(session).blind_index("users", "email")
    query = (
        select(func.count())
        .select_from(User)
        .where(User.email_index.in_(index.candidates(normalise(email))))
    )
    return bool(await session.scalar(query))


async def lock_enabled_admins(session: AsyncSession) -> list[uuid.UUID]:
    """The enabled administrators' ids, locked until the transaction ends.

    Every change that could remove an administrator takes this lock before it reads
    anything, so two of them can never both count the other's admin as still there.
    PostgreSQL: the rows ``FOR UPDATE``, in id order (lockers queue, never deadlock);
    a waiter re-checks each row once the holder commits, so a demoted admin drops out.
    SQLite: the database's single write lock, taken by a write that changes nothing.
    """
    enabled_admins = (User.role == Role.ADMIN) & User.disabled.is_(False)
    if session.get_bind().dialect.name != "postgresql":
        # updated_at named too, so its on-update default does not touch the rows.
        await session.execute(
            update(User)
            .where(enabled_admins)
            .values(role=User.role, updated_at=User.updated_at)
            .execution_options(synchronize_session=False)
        )
    query = select(User.id).where(enabled_admins).order_by(User.id).with_for_update()
    return list(await session.scalars(query))


async def lock_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Hold the user's row until the transaction ends, so per-user counts stay exact.

    PostgreSQL: ``FOR NO KEY UPDATE``, which queues other lockers of the row but not
    the foreign-key checks of rows that reference it. SQLite: the write lock, taken by
    a write that changes nothing.
    """
    if session.get_bind().dialect.name != "postgresql":
        await session.execute(
            update(User)
            .where(User.id == user_id)
            .values(updated_at=User.updated_at)
            .execution_options(synchronize_session=False)
        )
        return
    await session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))


async def count_users(session: AsyncSession) -> int:
    return await count_rows(session, select(User))


async def list_users(session: AsyncSession, *, limit: int, offset: int) -> Sequence[User]:
    query = select(User).order_by(User.created_at, User.id).limit(limit).offset(offset)
    return (await session.scalars(query)).all()


__all__ = [
    "add",
    "count_users",
    "email_taken",
    "get_by_id",
    "get_by_username",
    "list_users",
    "lock_enabled_admins",
    "lock_user",
]
