"""Who a bearer token speaks for: the one check every authenticated request passes.

Signature and claims first (skipped when the edge already verified this very token
in this request), then one query: the user exists and is enabled, and the sign-in
session is neither revoked nor gone. The authentication layer (before a request's
body is read) and the FastAPI dependency (its fallback) both call
:func:`resolve_principal`, so the cache of recent answers (``principal_cache``), or any
further check, goes in one place.

A bearer value starting with ``fl_`` is an API token (``security.api_tokens``): its
HMAC is looked up instead (cached under the same generation rule, keyed by the HMAC),
and it is refused once revoked or expired, or when its owner is disabled.

"Last used" (of a session or an API token) is written at most once a minute per
principal and process: the cached principal carries the time last written, so a
request learns without a query whether a write is due.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.auth import repository
from faceless.auth.api_tokens import repository as api_token_repository
from faceless.auth.principal import Principal
from faceless.auth.principal_cache import CacheKey, PrincipalCache
from faceless.db.base import utcnow
from faceless.errors import ProblemError
from faceless.logging import get_logger
from faceless.security.api_tokens import MAX_TOKEN_CHARS, TokenOwners, is_api_token
from faceless.security.tokens import AccessClaims, InvalidTokenError, TokenCodec

logger = get_logger("faceless.auth")

MISSING_DETAIL = "A valid access token is required."
INVALID_DETAIL = "The access token is invalid or expired."
# How stale a recorded "last used" may get before a request writes it again.
TOUCH_INTERVAL = timedelta(seconds=60)


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
    api_tokens: TokenOwners | None = None,
) -> Principal:
    """The principal ``token`` authenticates; raises the 401 problem otherwise.

    ``verified`` are the claims an earlier layer decoded from this same token.
    ``generation`` is the principal generation this request observed before reading
    anything; only with it is ``cache`` consulted and filled (see ``principal_cache``).
    ``api_tokens`` resolves ``fl_`` tokens; without it they are refused.
    """
    if token is None:
        raise unauthenticated()
    if cache is None or generation is None:
        cache, generation = None, None
    if is_api_token(token):
        if api_tokens is None:
            raise unauthenticated(INVALID_DETAIL)
        key, principal = await _api_token_principal(sessions, api_tokens, token, cache, generation)
    else:
        key, principal = await _session_principal(
            sessions, codec, token, verified, cache, generation
        )
    return await _touched(sessions, principal, key, cache, generation)


async def _session_principal(
    sessions: async_sessionmaker[AsyncSession],
    codec: TokenCodec,
    token: str,
    verified: AccessClaims | None,
    cache: PrincipalCache | None,
    generation: str | None,
) -> tuple[CacheKey, Principal]:
    claims = verified
    if claims is None:
        try:
            claims = codec.decode(token)
        except InvalidTokenError:
            raise unauthenticated(INVALID_DETAIL) from None
    if cache is not None and generation is not None:
        cached = cache.get(claims.session_id, claims.user_id, generation)
        if cached is not None:
            return claims.session_id, cached
    principal = await _read_principal(sessions, claims)
    if cache is not None and generation is not None:
        cache.put(principal, generation)
    return claims.session_id, principal


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
    return Principal(user=user, session_id=auth_session.id, last_used_at=auth_session.last_used_at)


async def _api_token_principal(
    sessions: async_sessionmaker[AsyncSession],
    owners: TokenOwners,
    token: str,
    cache: PrincipalCache | None,
    generation: str | None,
) -> tuple[CacheKey, Principal]:
    if len(token) > MAX_TOKEN_CHARS:
        raise unauthenticated(INVALID_DETAIL)
    digest = owners.hasher.digest(token)
    now = utcnow()
    if cache is not None and generation is not None:
        cached = cache.get(digest, None, generation)
        # Expiry is checked on every use: a cached entry may outlive the token.
        if cached is not None and cached.expires_at is not None and cached.expires_at > now:
            return digest, cached
    async with sessions() as session:
        found = await api_token_repository.token_with_owner(
            session, owners.hasher.candidates(token)
        )
    if found is None:
        raise unauthenticated(INVALID_DETAIL)
    api_token, user = found
    if user.disabled or api_token.revoked_at is not None or api_token.expires_at <= now:
        raise unauthenticated(INVALID_DETAIL)
    principal = Principal(
        user=user,
        session_id=api_token.id,
        scopes=frozenset(api_token.scope_list),
        last_used_at=api_token.last_used_at,
        expires_at=api_token.expires_at,
    )
    owners.remember(digest, str(user.id))
    if cache is not None and generation is not None:
        cache.put(principal, generation, key=digest)
    return digest, principal


async def _touched(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    key: CacheKey,
    cache: PrincipalCache | None,
    generation: str | None,
) -> Principal:
    """Record the use when the recorded one is over a minute old; else nothing at all."""
    now = utcnow()
    if principal.last_used_at is not None and now - principal.last_used_at < TOUCH_INTERVAL:
        return principal
    await _record_use(sessions, principal, now)
    principal = dataclasses.replace(principal, last_used_at=now)
    if cache is not None and generation is not None:
        cache.put(principal, generation, key=key)
    return principal


async def _record_use(
    sessions: async_sessionmaker[AsyncSession], principal: Principal, now: datetime
) -> None:
    # The read sessions autocommit: one UPDATE, committed on its own. The condition
    # keeps concurrent processes from writing the same minute twice.
    # A failed write costs the list a minute of precision, never the request its answer.
    stale_before = now - TOUCH_INTERVAL
    try:
        async with sessions() as session:
            if principal.via_api_token:
                await api_token_repository.touch(
                    session, principal.session_id, now=now, stale_before=stale_before
                )
            else:
                await repository.touch_session(
                    session, principal.session_id, now=now, stale_before=stale_before
                )
    except SQLAlchemyError as exc:
        logger.warning("last use not recorded", error=type(exc).__name__)
