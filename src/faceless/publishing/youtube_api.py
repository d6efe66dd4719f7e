"""One authorised request to the YouTube Data API, with Google's error handling.

What each answer means, from the Data API's error reference and its upload guide:

* ``401`` (``authError``): the access token was revoked or expired early; a new one is
  fetched once and the request repeated.
* ``403 quotaExceeded``: the project's daily quota is spent until Google's reset at
  midnight America/Los_Angeles: :class:`QuotaExceededError`.
* ``403/429 rateLimitExceeded`` / ``userRateLimitExceeded``, any ``5xx`` and network
  failures are transient: retried with exponential backoff, at most ``retries`` times;
  then :class:`YouTubeUnavailableError` (5xx, network) or :class:`RateLimitedError`.
* anything else is returned for the caller to judge.

Google's ``Retry-After`` is not relied on (it rarely sends one); the backoff doubles from
``backoff_seconds``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import anyio

from faceless.publishing import google_oauth
from faceless.publishing.base import PublishError
from faceless.publishing.google_oauth import OAuthClient, TokenCache

if TYPE_CHECKING:
    import httpx

QUOTA = frozenset({"quotaExceeded", "dailyLimitExceeded"})
RATE = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})


class YouTubeUnavailableError(PublishError):
    """YouTube kept failing (5xx) or could not be reached, through every retry."""


class RateLimitedError(PublishError):
    """YouTube kept answering rateLimitExceeded through every retry."""


class QuotaExceededError(PublishError):
    """Google's quota for the day is spent (quotaExceeded)."""


@dataclass(frozen=True, slots=True)
class Retry:
    retries: int = 4
    backoff_seconds: float = 1.0

    def delay(self, attempt: int) -> float:
        return float(self.backoff_seconds * 2**attempt)


class YouTubeApi:
    def __init__(
        self, client: httpx.AsyncClient, oauth: OAuthClient, tokens: TokenCache, retry: Retry
    ) -> None:
        self.client = client
        self.oauth = oauth
        self.tokens = tokens
        self.retry = retry

    async def headers(self) -> dict[str, str]:
        token = await google_oauth.access_token(self.client, self.oauth, self.tokens)
        return {"Authorization": f"Bearer {token}"}

    async def once(
        self, method: str, url: str, *, headers: dict[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One attempt, token included; a 401 gets one more try with a fresh token."""
        for fresh in (False, True):
            auth = await self.headers()
            response = await self.client.request(
                method, url, headers={**(headers or {}), **auth}, **kwargs
            )
            if response.status_code != 401 or fresh:
                break
            self.tokens.forget(self.oauth.cache_key())
        return response

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """The answer to a request whose body can be sent again, transient failures retried."""
        import httpx

        last = ""
        for attempt in range(self.retry.retries + 1):
            if attempt:
                await anyio.sleep(self.retry.delay(attempt - 1))
            try:
                response = await self.once(method, url, **kwargs)
            except httpx.TransportError:
                last = "network"
                continue
            reason = error_reason(response)
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                continue
            if reason in QUOTA:
                raise QuotaExceededError("YouTube's daily quota for this account is spent.")
            if reason in RATE or response.status_code == 429:
                last = "rate"
                continue
            return response
        if last == "rate":
            raise RateLimitedError("YouTube kept rate-limiting the requests.")
        raise YouTubeUnavailableError(
            f"YouTube kept failing ({last}) after {self.retry.retries} retries."
        )


def error_reason(response: httpx.Response) -> str | None:
    """``error.errors[0].reason`` of a Google error document, if there is one."""
    if response.status_code < 400:
        return None
    body = json_of(response)
    error = body.get("error")
    errors = error.get("errors") if isinstance(error, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    reason = first.get("reason") if isinstance(first, dict) else None
    return reason if isinstance(reason, str) else None


def json_of(response: httpx.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
