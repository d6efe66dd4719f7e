"""Who a bearer token speaks for: the one check every authenticated request passes.

Signature and claims first (skipped when the edge already verified this very token
in this request), then one query: the user exists and is enabled, and the sign-in
session is neither revoked nor gone. The authentication layer (before a request's
body is read) and the FastAPI dependency (its fallback) both call
:func:`resolve_principal`, so the cache of recent answers (``principal_cache``), or any
further check, goes in one place.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.auth import repository
from faceless.auth.principal import Principal
from faceless.auth.principal_cache import PrincipalCache
from faceless.errors import ProblemError
from faceless.security.tokens import AccessClaims, InvalidTokenError, TokenCodec

MISSING_DETAIL = "A valid access token is required."
INVALID_DETAIL = "The access token is invalid or expired."


def unauthenticated(detail: str = MISSING_DETAIL) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; None for anything else."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        return None
    return token


async def resolve_principal(
    *,
    sessions: async_sessionmaker[AsyncSession],
    codec: TokenCodec,
    token: str | None,
    verified: AccessClaims | None = None,
    cache: PrincipalCache | None = None,
    generation: str | None = None,
) -> Principal:
    """The principal ``token`` authenticates; raises the 401 problem otherwise.

    ``verified`` are the claims an earlier layer decoded from this same token.
    ``generation`` is the principal generation this request observed before reading
    anything; only with it is ``cache`` consulted and filled (see ``principal_cache``).
    """
    if token is None:
        raise unauthenticated()
    claims = verified
    if claims is None:
        try:
            claims = codec.decode(token)
        except InvalidTokenError:
            raise unauthenticated(INVALID_DETAIL) from None
    if cache is not None and generation is not None:
        cached = cache.get(claims.session_id, claims.user_id, generation)
        if cached is not None:
            return cached
    principal = await _read_principal(sessions, claims)
    if cache is not None and generation is not None:
        cache.put(principal, generation)
    return principal


async def _read_principal(
    sessions: async_sessionmaker[AsyncSession], claims: AccessClaims
) -> Principal:
    # Its own short read-only session: the pooled connection goes back before the
    # request does anything else, so no request holds two connections at once.
    async with sessions() as session:
        found = await repository.user_with_session(
            session, user_id=claims.user_id, session_id=claims.session_id
        )
    if found is None:
        raise unauthenticated(INVALID_DETAIL)
    user, auth_session = found
    if user.disabled or auth_session.revoked_at is not None:
        raise unauthenticated(INVALID_DETAIL)
    return Principal(user=user, session_id=auth_session.id)
