from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from faceless.db.base import Base


class PublisherQuotaUsage(Base):
    """Units one account has spent (or reserved) on one quota day of its provider.

    For YouTube the day is Google's: midnight to midnight America/Los_Angeles.
    """

    __tablename__ = "publisher_quota_usage"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    account: Mapped[str] = mapped_column(String(100), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    units: Mapped[int] = mapped_column(Integer, default=0)
