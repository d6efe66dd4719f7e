"""SQL for publishing accounts: credentials (stored encrypted), quota usage, status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.base import utcnow
from faceless.db.repository import affected_rows
from faceless.models import PublisherCredential, PublisherQuotaUsage, PublisherStatus


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


# -- quota usage (see faceless.publishing.quota) ------------------------------------------


def _usage(provider: str, account: str, day: date) -> Any:
    return (
        (PublisherQuotaUsage.provider == provider)
        & (PublisherQuotaUsage.account == account)
        & (PublisherQuotaUsage.day == day)
    )


async def reserve_units(
    session: AsyncSession, provider: str, account: str, *, day: date, units: int, budget: int
) -> bool:
    """Add ``units`` to the day's count if the sum stays within ``budget``.

    A conditional UPDATE decides (row locks on PostgreSQL, serialised writers on
    SQLite); the day's first reservation inserts the row, and a concurrent first
    insert makes this one retry as an UPDATE.
    """
    for _attempt in range(2):
        result = await session.execute(
            update(PublisherQuotaUsage)
            .where(_usage(provider, account, day), PublisherQuotaUsage.units + units <= budget)
            .values(units=PublisherQuotaUsage.units + units)
            .execution_options(synchronize_session=False)
        )
        if affected_rows(result) == 1:
            return True
        exists = await session.scalar(
            select(func.count())
            .select_from(PublisherQuotaUsage)
            .where(_usage(provider, account, day))
        )
        if exists:
            return False
        if units > budget:
            return False
        try:
            async with session.begin_nested():
                session.add(
                    PublisherQuotaUsage(provider=provider, account=account, day=day, units=units)
                )
        except IntegrityError:
            continue  # another worker inserted the day's row first: count against it
        return True
    return False


async def release_units(
    session: AsyncSession, provider: str, account: str, *, day: date, units: int
) -> None:
    await session.execute(
        update(PublisherQuotaUsage)
        .where(_usage(provider, account, day))
        .values(
            units=case(
                (PublisherQuotaUsage.units > units, PublisherQuotaUsage.units - units), else_=0
            )
        )
        .execution_options(synchronize_session=False)
    )


async def fill_units(
    session: AsyncSession, provider: str, account: str, *, day: date, budget: int
) -> None:
    """Count the day as spent (Google said so)."""
    result = await session.execute(
        update(PublisherQuotaUsage)
        .where(_usage(provider, account, day))
        .values(units=budget)
        .execution_options(synchronize_session=False)
    )
    if affected_rows(result) == 0:
        try:
            async with session.begin_nested():
                session.add(
                    PublisherQuotaUsage(provider=provider, account=account, day=day, units=budget)
                )
        except IntegrityError:
            await fill_units(session, provider, account, day=day, budget=budget)


async def units_used(session: AsyncSession, provider: str, account: str, *, day: date) -> int:
    used = await session.scalar(
        select(PublisherQuotaUsage.units).where(_usage(provider, account, day))
    )
    return int(used or 0)


# -- credential status --------------------------------------------------------------------


async def status_of(session: AsyncSession, provider: str, account: str) -> PublisherStatus | None:
    query = select(PublisherStatus).where(
        PublisherStatus.provider == provider, PublisherStatus.account == account
    )
    return (await session.scalars(query)).one_or_none()


async def set_status(
    session: AsyncSession,
    provider: str,
    account: str,
    *,
    invalid_at: datetime | None,
    detail: str | None,
) -> None:
    """Record (or clear, with ``invalid_at=None``) a refusal of the account's credentials."""
    row = await status_of(session, provider, account)
    if row is None:
        if invalid_at is None:
            return  # nothing recorded, nothing to clear
        row = PublisherStatus(provider=provider, account=account)
        try:
            async with session.begin_nested():
                session.add(row)
        except IntegrityError:
            row = await status_of(session, provider, account)
            assert row is not None
    row.credentials_invalid_at = invalid_at
    row.detail = detail
    row.updated_at = utcnow()
    await session.flush()
