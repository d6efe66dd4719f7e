"""SQL of multi-factor sign-in: TOTP credentials and recovery codes.

Every acceptance is a conditional UPDATE, so two requests racing with the same code,
the same recovery code or the same mfa token cannot both win: the replay guard
(``last_step``), a recovery code's ``used_at`` and the token ``generation`` are each
checked and advanced in one statement. Statements that set an encrypted column seal it
explicitly (``seal_column``); none synchronises loaded objects (they would receive the
envelope), so callers re-read what they need.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.encryption import seal_column
from faceless.db.repository import affected_rows
from faceless.models import RecoveryCode, TotpCredential, User

_NO_SYNC = {"synchronize_session": False}


async def get_totp(session: AsyncSession, user_id: uuid.UUID) -> TotpCredential | None:
    return await session.get(TotpCredential, user_id, populate_existing=True)


async def user_with_totp(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[User, TotpCredential] | None:
    query = (
        select(User, TotpCredential)
        .join(TotpCredential, TotpCredential.user_id == User.id)
        .where(User.id == user_id)
    )
    row = (await session.execute(query)).first()
    return (row[0], row[1]) if row else None


async def active_generation(session: AsyncSession, user_id: uuid.UUID) -> int | None:
    """The mfa token generation of a user whose MFA is active; None when it is not."""
    query = select(TotpCredential.generation).where(
        TotpCredential.user_id == user_id, TotpCredential.enabled_at.is_not(None)
    )
    generation: int | None = await session.scalar(query)
    return generation


async def set_pending_secret(session: AsyncSession, user_id: uuid.UUID, secret: str) -> bool:
    """Start (or restart) enrollment; the ORM seals the secret at the flush.

    False when a concurrent first enrollment created the row meanwhile (PostgreSQL
    refuses the second primary key; SQLite serialises the two and never gets here).
    """
    credential = await get_totp(session, user_id)
    if credential is not None:
        credential.pending_secret = secret
        credential.generation += 1
        await session.flush()
        return True
    try:
        async with session.begin_nested():
            session.add(TotpCredential(user_id=user_id, pending_secret=secret, generation=0))
    except IntegrityError:
        return False
    return True


async def confirm_totp(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    generation: int,
    secret: str,
    step: int,
    now: datetime,
) -> bool:
    """Activate the pending secret unless enrollment changed since it was read."""
    result = await session.execute(
        update(TotpCredential)
        .where(
            TotpCredential.user_id == user_id,
            TotpCredential.generation == generation,
            TotpCredential.enabled_at.is_(None),
        )
        .values(
            secret=seal_column(session, TotpCredential.secret, user_id, secret),
            pending_secret=None,
            enabled_at=now,
            last_step=step,
            generation=TotpCredential.generation + 1,
        )
        .execution_options(**_NO_SYNC)
    )
    return affected_rows(result) == 1


async def accept_step(session: AsyncSession, user_id: uuid.UUID, step: int) -> bool:
    """Record ``step`` as used; False when it (or a later one) was accepted already."""
    result = await session.execute(
        update(TotpCredential)
        .where(
            TotpCredential.user_id == user_id,
            TotpCredential.enabled_at.is_not(None),
            or_(TotpCredential.last_step.is_(None), TotpCredential.last_step < step),
        )
        .values(last_step=step)
        .execution_options(**_NO_SYNC)
    )
    return affected_rows(result) == 1


async def spend_generation(session: AsyncSession, user_id: uuid.UUID, generation: int) -> bool:
    """End the mfa tokens of ``generation``; False when they had already ended."""
    result = await session.execute(
        update(TotpCredential)
        .where(TotpCredential.user_id == user_id, TotpCredential.generation == generation)
        .values(generation=TotpCredential.generation + 1)
        .execution_options(**_NO_SYNC)
    )
    return affected_rows(result) == 1


async def end_mfa_tokens(session: AsyncSession, user_id: uuid.UUID) -> None:
    await session.execute(
        update(TotpCredential)
        .where(TotpCredential.user_id == user_id)
        .values(generation=TotpCredential.generation + 1)
        .execution_options(**_NO_SYNC)
    )


async def disable_totp(session: AsyncSession, user_id: uuid.UUID) -> None:
    """Forget the secret; the row stays so the generation (live mfa tokens) moves on."""
    await session.execute(
        update(TotpCredential)
        .where(TotpCredential.user_id == user_id)
        .values(
            secret=None,
            pending_secret=None,
            enabled_at=None,
            last_step=None,
            generation=TotpCredential.generation + 1,
        )
        .execution_options(**_NO_SYNC)
    )
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


async def replace_recovery_codes(
    session: AsyncSession, user_id: uuid.UUID, hashes: Sequence[str], now: datetime
) -> None:
    await session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    await session.execute(
        insert(RecoveryCode),
        [
            {"id": uuid.uuid4(), "user_id": user_id, "code_hash": h, "created_at": now}
            for h in hashes
        ],
    )


async def use_recovery_code(
    session: AsyncSession, user_id: uuid.UUID, code_hash: str, now: datetime
) -> bool:
    """Spend one unused recovery code of the user; False when there is none such."""
    result = await session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == code_hash,
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(**_NO_SYNC)
    )
    return affected_rows(result) == 1
