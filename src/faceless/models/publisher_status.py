from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from faceless.db.base import Base, Timestamps, UtcDateTime, UuidPrimaryKey


class PublisherStatus(UuidPrimaryKey, Timestamps, Base):
    """What the provider last said about one account's credentials.

    ``credentials_invalid_at`` is set when Google refused the refresh token
    (``invalid_grant``) and cleared when the credentials are replaced or work again.
    ``account`` is a stored account's name, or ``default`` for the secret store's.
    """

    __tablename__ = "publisher_status"
    __table_args__ = (UniqueConstraint("provider", "account"),)

    provider: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(100))
    credentials_invalid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What the provider answered (an OAuth error code and its description), never a value.
    detail: Mapped[str | None] = mapped_column(Text)
