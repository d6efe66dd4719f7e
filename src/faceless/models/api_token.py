"""API tokens: long-lived bearer credentials for scripts, limited to their scopes.

Only the HMAC of a token is stored (``security.api_tokens``); the token itself is shown
once, at creation. ``scopes`` is the space-separated list of the scope names granted.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from faceless.db.base import Base, UtcDateTime, UuidPrimaryKey, utcnow


class ApiToken(UuidPrimaryKey, Base):
    __tablename__ = "api_tokens"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()
