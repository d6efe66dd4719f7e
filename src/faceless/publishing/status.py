"""Whether the active publishing account's credentials are known to be refused.

The publish job records Google's ``invalid_grant`` in ``publisher_status``; readiness
reports the account publishing would use now (the newest stored account, else the
secret store's) as ``credentials_invalid`` until the credentials are replaced or a token
refresh succeeds again (a publish, or ``faceless publisher check``).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.publishing import repository
from faceless.publishing.base import Publisher
from faceless.publishing.factory import STORE_ACCOUNT

OK = "ok"
CREDENTIALS_INVALID = "credentials_invalid"


async def active_youtube_account(session: AsyncSession, default: Publisher) -> str | None:
    """The YouTube account publishing uses now, or None when it publishes elsewhere."""
    stored = await repository.newest(session, "youtube")
    if stored is not None:
        return stored.account
    return STORE_ACCOUNT if default.name == "youtube" else None


async def credentials_state(session: AsyncSession, default: Publisher) -> str:
    account = await active_youtube_account(session, default)
    if account is None:
        return OK
    status = await repository.status_of(session, "youtube", account)
    if status is not None and status.credentials_invalid_at is not None:
        return CREDENTIALS_INVALID
    return OK
