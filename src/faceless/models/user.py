from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from faceless.db.base import Base, StrEnumColumn, Timestamps, UuidPrimaryKey
from faceless.db.encryption import EncryptedText


class Role(StrEnum):
    ADMIN = "admin"
    EDITOR = "editor"
    VIEWER = "viewer"


class User(UuidPrimaryKey, Timestamps, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(32), unique=True)
    # Encrypted; uniqueness and lookups go through the keyed blind index beside it.
    email: Mapped[str | None] = mapped_column(EncryptedText(blind_index="email_index"))
    email_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(StrEnumColumn(Role))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
