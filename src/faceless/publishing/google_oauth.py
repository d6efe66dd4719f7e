"""Access tokens from Google's OAuth 2.0 token endpoint, cached until shortly before expiry.

Google's refresh flow (RFC 6749 section 6): ``POST`` the form ``grant_type=refresh_token``,
``client_id``, ``client_secret``, ``refresh_token``; a success is ``{"access_token",
"expires_in", ...}``, a refusal a 400/401 ``{"error": "invalid_grant" | "invalid_client" |
"unauthorized_client", "error_description"}``. A refused refresh token stays refused
until someone grants access again, so it is reported as :class:`CredentialsRefusedError`
(the publish fails, the account is marked); a 5xx or a network failure is
:class:`TokenEndpointError` (worth retrying later).

The three values are revealed only to build the form body: never a URL, a log line or
an error message. Access tokens live in this process's memory only, keyed by a hash of
the client and refresh token, so credentials replaced in the database get a new one.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from faceless.publishing.base import CredentialsRefusedError, PublishError
from faceless.secrets.base import Secret

if TYPE_CHECKING:
    import httpx

# Refresh this long before Google's expiry: a token must outlive the request it is on.
EARLY_SECONDS = 120.0
REFUSALS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
MAX_DESCRIPTION = 200


class TokenEndpointError(PublishError):
    """The token endpoint could not be reached or failed (5xx): try again later."""


@dataclass(frozen=True, slots=True)
class OAuthClient:
    token_url: str
    client_id: Secret
    client_secret: Secret
    refresh_token: Secret

    def cache_key(self) -> str:
        material = "\0".join((self.token_url, self.client_id.reveal(), self.refresh_token.reveal()))
        return hashlib.sha256(material.encode()).hexdigest()


class TokenCache:
    """Access tokens by :meth:`OAuthClient.cache_key`, each until shortly before expiry."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}

    def get(self, key: str) -> str | None:
        found = self._tokens.get(key)
        if found is None or self._clock() >= found[1]:
            return None
        return found[0]

    def put(self, key: str, token: str, expires_in: float) -> None:
        # A short-lived token is still used for half its life (one publish's requests).
        usable = max(expires_in - EARLY_SECONDS, expires_in / 2)
        self._tokens[key] = (token, self._clock() + max(0.0, usable))

    def forget(self, key: str) -> None:
        self._tokens.pop(key, None)


# One per process: every publish job of the process shares it.
TOKENS = TokenCache()


async def access_token(
    client: httpx.AsyncClient, oauth: OAuthClient, cache: TokenCache = TOKENS
) -> str:
    """A cached access token, or a new one from the token endpoint."""
    key = oauth.cache_key()
    token = cache.get(key)
    if token is None:
        token, expires_in = await refresh(client, oauth)
        cache.put(key, token, expires_in)
    return token


async def refresh(client: httpx.AsyncClient, oauth: OAuthClient) -> tuple[str, float]:
    """A new access token and its lifetime in seconds, straight from the token endpoint."""
    import httpx

    try:
        response = await client.post(
            oauth.token_url,
            data={
                "grant_type": "refresh_token",
                "client_id": oauth.client_id.reveal(),
                "client_secret": oauth.client_secret.reveal(),
                "refresh_token": oauth.refresh_token.reveal(),
            },
            headers={"Accept": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise TokenEndpointError("Google's token endpoint could not be reached.") from exc
    body = _json(response)
    error = body.get("error")
    if response.status_code >= 500:
        raise TokenEndpointError(f"Google's token endpoint failed (HTTP {response.status_code}).")
    if isinstance(error, str) and error in REFUSALS:
        description = body.get("error_description")
        said = f": {description[:MAX_DESCRIPTION]}" if isinstance(description, str) else ""
        raise CredentialsRefusedError(f"Google refused the YouTube credentials ({error}{said}).")
    token = body.get("access_token")
    if response.status_code != 200 or not isinstance(token, str) or not token:
        raise PublishError(f"Google's token endpoint answered HTTP {response.status_code}.")
    expires_in = body.get("expires_in")
    lifetime = float(expires_in) if isinstance(expires_in, int | float) else 3600.0
    return token, lifetime


def _json(response: httpx.Response) -> dict[str, object]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
