"""Per-account daily quota of a publisher: what a publish costs and when the day ends.

YouTube's quota is per Google Cloud project and resets at midnight Pacific time
(America/Los_Angeles, daylight saving included). Costs are the Data API's published
ones: ``videos.insert`` 1,600 units, ``captions.insert`` 400, ``thumbnails.set`` 50.
The budget is ``YOUTUBE_DAILY_QUOTA_UNITS`` per account; a publish reserves its whole
cost before the first request (so two workers cannot both take the last units), and a
schedule that does not fit waits for the next reset. Google remains the authority: a
``quotaExceeded`` answer marks the day spent whatever the count says.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.publishing import repository
from faceless.publishing.base import PublishPackage

PACIFIC = ZoneInfo("America/Los_Angeles")
INSERT_UNITS = 1600
CAPTIONS_UNITS = 400
THUMBNAIL_UNITS = 50
PROVIDER = "youtube"


def quota_day(now: datetime) -> date:
    """Google's quota day that ``now`` falls in."""
    return now.astimezone(PACIFIC).date()


def next_reset(now: datetime) -> datetime:
    """The next midnight in America/Los_Angeles, in UTC."""
    tomorrow = quota_day(now) + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=PACIFIC).astimezone(UTC)


def cost(package: PublishPackage) -> int:
    """The units publishing ``package`` to YouTube takes."""
    units = INSERT_UNITS
    if package.captions_vtt is not None:
        units += CAPTIONS_UNITS
    if package.thumbnail_path is not None:
        units += THUMBNAIL_UNITS
    return units


async def reserve(
    session: AsyncSession, *, account: str, units: int, budget: int, now: datetime
) -> bool:
    """Take ``units`` from today's budget of ``account``; False when they do not fit."""
    return await repository.reserve_units(
        session, PROVIDER, account, day=quota_day(now), units=units, budget=budget
    )


async def give_back(session: AsyncSession, *, account: str, units: int, now: datetime) -> None:
    """Return a reservation that was not spent (nothing reached YouTube)."""
    await repository.release_units(session, PROVIDER, account, day=quota_day(now), units=units)


async def spend_the_day(session: AsyncSession, *, account: str, budget: int, now: datetime) -> None:
    """Google said quotaExceeded: nothing more goes out for ``account`` until the reset."""
    await repository.fill_units(session, PROVIDER, account, day=quota_day(now), budget=budget)
