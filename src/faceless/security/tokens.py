"""JWT access tokens.

Design: HS256 only (the algorithm is pinned on decode, never read from the token);
``kid`` selects a key from the local keyring and nothing else (no URLs, no
embedded keys); ``typ`` is checked so no other token kind passes as an access
token; ``iss``, ``aud``, ``exp``, ``iat``, ``jti``, ``sub`` and ``sid`` are all
required. Refresh tokens are opaque random strings, not JWTs (see auth.service).

The mfa token (the first half of a sign-in with a second factor) is a JWT of its own
kind: ``typ`` ``mfa+jwt``, audience ``<audience>:mfa``, no ``sid``, so it is refused
wherever an access token is asked for, and an access token is refused where it is.
"""

from __future__ import annotations

import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from faceless.bounded import put_bounded
from faceless.crypto.keys import Keyring

ALGORITHM = "HS256"
ACCESS_TYPE = "access+jwt"
MFA_TYPE = "mfa+jwt"
_REQUIRED = ["exp", "iat", "iss", "aud", "jti", "sub", "sid"]
_MFA_REQUIRED = ["exp", "iat", "iss", "aud", "jti", "sub", "gen"]
_LEEWAY_SECONDS = 5
# Tokens verified recently, kept so a client's next request skips the signature check
# and the claim parsing (PyJWT's decode was a sixth of an authenticated request's CPU).
_VERIFIED_MAX = 10_000


class InvalidTokenError(Exception):
    """Any reason a token is unacceptable; the reason is for logs, not clients."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    jti: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class MfaClaims:
    user_id: uuid.UUID
    # The user's MFA generation when the token was issued: a bump ends the token.
    generation: int


class TokenCodec:
    def __init__(
        self, keyring: Keyring, *, issuer: str, audience: str, lifetime: timedelta
    ) -> None:
        self._keyring = keyring
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime
        # token -> (claims, kid): a hit counts only while unexpired and its key is held.
        self._verified: dict[str, tuple[AccessClaims, str]] = {}

    def use_keyring(self, keyring: Keyring) -> None:
        """Swap keys after a secrets reload: new tokens use the new current key, and a
        key retired from the ring stops verifying its tokens at once."""
        self._keyring = keyring
        self._verified.clear()

    def issue(self, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime) -> str:
        payload = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "jti": secrets.token_urlsafe(16),
        }
        headers = {"kid": self._keyring.current_kid, "typ": ACCESS_TYPE}
        return jwt.encode(payload, self._keyring.current, algorithm=ALGORITHM, headers=headers)

    @property
    def mfa_audience(self) -> str:
        return f"{self.audience}:mfa"

    def issue_mfa(
        self, *, user_id: uuid.UUID, generation: int, now: datetime, lifetime: timedelta
    ) -> str:
        payload = {
            "iss": self.issuer,
            "aud": self.mfa_audience,
            "sub": str(user_id),
            "gen": generation,
            "iat": int(now.timestamp()),
            "exp": int((now + lifetime).timestamp()),
            "jti": secrets.token_urlsafe(16),
        }
        headers = {"kid": self._keyring.current_kid, "typ": MFA_TYPE}
        return jwt.encode(payload, self._keyring.current, algorithm=ALGORITHM, headers=headers)

    def decode(self, token: str) -> AccessClaims:
        """The claims of a valid access token; ``InvalidTokenError`` otherwise.

        A token verified before is answered from memory while it is unexpired and its
        key is still in the ring: the signature and claims of the same string cannot
        have changed, and expiry and key retirement are checked again on every hit.
        """
        known = self._verified.get(token)
        if known is not None:
            claims, kid = known
            if claims.expires_at + _LEEWAY_SECONDS > time.time() and kid in self._keyring.keys:
                return claims
            del self._verified[token]
        claims, kid = self._verify(token)
        put_bounded(self._verified, token, (claims, kid), _VERIFIED_MAX)
        return claims

    def _verify(self, token: str) -> tuple[AccessClaims, str]:
        claims, kid = self._checked_claims(token, ACCESS_TYPE, self.audience, _REQUIRED)
        try:
            verified = AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                jti=str(claims["jti"]),
                expires_at=int(claims["exp"]),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidTokenError(type(exc).__name__) from None
        return verified, kid

    def decode_mfa(self, token: str) -> MfaClaims:
        # Never remembered: an mfa token is used once or twice, and only at one route.
        claims, _kid = self._checked_claims(token, MFA_TYPE, self.mfa_audience, _MFA_REQUIRED)
        generation = claims["gen"]
        if not isinstance(generation, int) or isinstance(generation, bool):
            raise InvalidTokenError("generation is not an integer")
        try:
            return MfaClaims(user_id=uuid.UUID(claims["sub"]), generation=generation)
        except (ValueError, TypeError) as exc:
            raise InvalidTokenError(type(exc).__name__) from None

    def _checked_claims(
        self, token: str, kind: str, audience: str, required: list[str]
    ) -> tuple[dict[str, Any], str]:
        """The claims of a token of ``kind`` for ``audience`` and its key id, all checked."""
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            if header.get("typ") != kind or not isinstance(kid, str):
                raise InvalidTokenError("wrong token type or missing kid")
            key = self._keyring.keys.get(kid)
            if key is None:
                raise InvalidTokenError("unknown kid")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=self.issuer,
                options={"require": required},
                leeway=_LEEWAY_SECONDS,
            )
            return claims, kid
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(type(exc).__name__) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidTokenError(type(exc).__name__) from None
