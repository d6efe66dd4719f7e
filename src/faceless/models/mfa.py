"""Multi-factor sign-in: each user's TOTP credential and their single-use recovery codes.

The TOTP row is keyed by the user (one credential each) and kept apart from ``users``:
the user row is loaded on every authenticated request, the secret only when a code is
checked. Both secrets are encrypted columns (bound to table, column and the user's id,
re-sealed by ``faceless keys rotate``). ``generation`` names the live mfa tokens: a token
carries the generation it was issued under, and bumping it (a sign-in completed, the
wrong-code lockout, disabling, a new enrollment) ends every token issued before.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from faceless.db.base import Base, Timestamps, UtcDateTime, UuidPrimaryKey, utcnow
from faceless.db.encryption import EncryptedText


class TotpCredential(Timestamps, Base):
    __tablename__ = "totp_credentials"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # The active secret (base32), set when enrollment is confirmed.
    secret: Mapped[str | None] = mapped_column(EncryptedText())
    # A secret handed out by enrollment and not yet confirmed with a code.
    pending_secret: Mapped[str | None] = mapped_column(EncryptedText())
    enabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The last 30-second step whose code was accepted: that code and every older one
    # are refused from then on (RFC 6238 section 5.2), so a code works once.
    last_step: Mapped[int | None] = mapped_column(BigInteger)
    generation: Mapped[int] = mapped_column(Integer, default=0)


class RecoveryCode(UuidPrimaryKey, Base):
    __tablename__ = "recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # SHA-256 of the normalised code (see auth.mfa.codes): shown once, never stored.
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
