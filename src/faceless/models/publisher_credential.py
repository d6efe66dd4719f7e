from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from faceless.db.base import Base, Timestamps, UuidPrimaryKey
from faceless.db.encryption import EncryptedText


class PublisherCredential(UuidPrimaryKey, Timestamps, Base):
    """OAuth values of one publishing account (see faceless.publishing.credentials)."""

    __tablename__ = "publisher_credentials"
    __table_args__ = (UniqueConstraint("provider", "account"),)

    provider: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(100))
    # A JSON document of the provider's OAuth values, sealed with the row id as AAD.
    credentials: Mapped[str] = mapped_column(EncryptedText())

    def __repr__(self) -> str:
        # Never the credentials: this repr may reach a log or a traceback.
        return f"PublisherCredential(provider={self.provider!r}, account={self.account!r})"
