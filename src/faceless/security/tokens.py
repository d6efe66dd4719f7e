"""JWT access tokens.

Design: HS256 only (the algorithm is pinned on decode, never read from the token);
``kid`` selects a key from the local keyring and nothing else (no URLs, no
embedded keys); ``typ`` is checked so no other token kind passes as an access
token; ``iss``, ``aud``, ``exp``, ``iat``, ``jti``, ``sub`` and ``sid`` are all
required. Refresh tokens are opaque random strings, not JWTs (see auth.service).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import jwt

from faceless.crypto.keys import Keyring

ALGORITHM = "HS256"
ACCESS_TYPE = "access+jwt"
_REQUIRED = ["exp", "iat", "iss", "aud", "jti", "sub", "sid"]


class InvalidTokenError(Exception):
    """Any reason a token is unacceptable; the reason is for logs, not clients."""


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: uuid.UUID
    session_id: uuid.UUID
    jti: str
    expires_at: int


class TokenCodec:
    def __init__(
        self, keyring: Keyring, *, issuer: str, audience: str, lifetime: timedelta
    ) -> None:
        self._keyring = keyring
        self.issuer = issuer
        self.audience = audience
        self.lifetime = lifetime

    def use_keyring(self, keyring: Keyring) -> None:
        """Swap keys after a secrets reload: new tokens use the new current key, and a
        key retired from the ring stops verifying its tokens at once."""
        self._keyring = keyring

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

    def decode(self, token: str) -> AccessClaims:
        try:
            header = jwt.get_unverified_header(token)
            kid = header.get("kid")
            if header.get("typ") != ACCESS_TYPE or not isinstance(kid, str):
                raise InvalidTokenError("wrong token type or missing kid")
            key = self._keyring.keys.get(kid)
            if key is None:
                raise InvalidTokenError("unknown kid")
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": _REQUIRED},
                leeway=5,
            )
            return AccessClaims(
                user_id=uuid.UUID(claims["sub"]),
                session_id=uuid.UUID(claims["sid"]),
                jti=str(claims["jti"]),
                expires_at=int(claims["exp"]),
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(type(exc).__name__) from None
        except (ValueError, TypeError, KeyError) as exc:
            raise InvalidTokenError(type(exc).__name__) from None
