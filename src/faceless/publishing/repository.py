"""SQL for channels' publisher credentials (stored encrypted; see the model)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.models import PublisherCredential


async def find(session: AsyncSession, *, provider: str, account: str) -> PublisherCredential | None:
    query = select(PublisherCredential).where(
        PublisherCredential.provider == provider, PublisherCredential.account == account
    )
    return (await session.scalars(query)).one_or_none()


async def newest(session: AsyncSession, provider: str) -> PublisherCredential | None:
    """The most recently updated account of ``provider``: the one publishing uses."""
    query = (
        select(PublisherCredential)
        .where(PublisherCredential.provider == provider)
        .order_by(PublisherCredential.updated_at.desc(), PublisherCredential.id)
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def has_account(session: AsyncSession, provider: str) -> bool:
    """Whether any ``provider`` account has stored credentials (nothing is decrypted)."""
    query = select(PublisherCredential.id).where(PublisherCredential.provider == provider)
    return (await session.scalars(query.limit(1))).first() is not None
