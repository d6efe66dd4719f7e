"""``faceless publisher check``: do the active YouTube credentials work, right now?

A token refresh at ``YOUTUBE_TOKEN_URL`` and one ``channels.list?mine=true`` at
``YOUTUBE_API_BASE_URL`` (1 quota unit) with the token: both succeed (usable), Google
refuses (refused: ``invalid_grant``, a 401/403), or they cannot be reached or fail
with a 5xx (unreachable). The outcome is recorded like a publish's: a refusal marks
the account for readiness, a success clears the mark.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.publishing import google_oauth, repository
from faceless.publishing.base import CredentialsRefusedError, Publisher, PublishError
from faceless.publishing.credentials import get_account
from faceless.publishing.factory import select_publisher
from faceless.publishing.youtube import YouTubePublisher
from faceless.settings import Settings


class Outcome(IntEnum):
    """The command's exit status."""

    USABLE = 0
    REFUSED = 1
    UNREACHABLE = 2


@dataclass(frozen=True, slots=True)
class CheckResult:
    outcome: Outcome
    message: str


async def check_publisher(
    settings: Settings, sessions: async_sessionmaker[AsyncSession], default: Publisher
) -> CheckResult:
    async with transaction(sessions) as session:
        stored = await get_account(session, "youtube")
    if stored is None:
        publisher = default
    else:
        publisher = select_publisher(default, settings, stored[1], stored[0])
    if not isinstance(publisher, YouTubePublisher):
        return CheckResult(Outcome.USABLE, f"publisher {publisher.name}: nothing to check")
    result = await _ask_google(publisher)
    async with transaction(sessions) as session:
        invalid = utcnow() if result.outcome is Outcome.REFUSED else None
        if result.outcome is not Outcome.UNREACHABLE:
            await repository.set_status(
                session, "youtube", publisher.account, invalid_at=invalid, detail=result.message
            )
    return CheckResult(result.outcome, f"youtube account {publisher.account}: {result.message}")


async def _ask_google(publisher: YouTubePublisher) -> CheckResult:
    import httpx

    async with httpx.AsyncClient(timeout=30.0, follow_redirects=False) as client:
        try:
            token, _lifetime = await google_oauth.refresh(client, publisher.oauth)
        except CredentialsRefusedError as exc:
            return CheckResult(Outcome.REFUSED, str(exc))
        except google_oauth.TokenEndpointError as exc:
            return CheckResult(Outcome.UNREACHABLE, str(exc))
        except PublishError as exc:
            return CheckResult(Outcome.REFUSED, str(exc))
        try:
            response = await client.get(
                f"{publisher.settings.api_base_url}/youtube/v3/channels",
                params={"part": "id", "mine": "true"},
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.HTTPError:
            return CheckResult(Outcome.UNREACHABLE, "the YouTube Data API could not be reached")
    if response.status_code >= 500:
        return CheckResult(
            Outcome.UNREACHABLE, f"the YouTube Data API failed (HTTP {response.status_code})"
        )
    if response.status_code != 200:
        return CheckResult(
            Outcome.REFUSED, f"the YouTube Data API refused the token (HTTP {response.status_code})"
        )
    return CheckResult(Outcome.USABLE, "credentials usable")
