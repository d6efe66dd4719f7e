"""The authenticated-user dependency and the role-typed aliases endpoints declare.

Every check that can revoke a token happens here on each request: signature and
claims, the user still enabled, the sign-in session not revoked. One query.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from faceless.api.deps import ReadSession, RuntimeDep
from faceless.auth import repository
from faceless.auth.principal import Principal
from faceless.errors import ProblemError
from faceless.models import Role
from faceless.security.request_state import set_user_id, verified_claims_for
from faceless.security.tokens import InvalidTokenError

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


def _unauthenticated(detail: str = "A valid access token is required.") -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def current_principal(
    request: Request,
    runtime: RuntimeDep,
    session: ReadSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthenticated()
    # The rate limiter may already have checked this very token.
    claims = verified_claims_for(request.scope, credentials.credentials)
    if claims is None:
        try:
            claims = runtime.tokens.decode(credentials.credentials)
        except InvalidTokenError:
            raise _unauthenticated("The access token is invalid or expired.") from None
    found = await repository.user_with_session(
        session, user_id=claims.user_id, session_id=claims.session_id
    )
    # Hand the connection back to the pool now (an autocommit session: no round trip).
    # Held until the response, it would make every write request need two connections
    # at once, and under load all of them would wait for a second one forever.
    await session.commit()
    if found is None:
        raise _unauthenticated("The access token is invalid or expired.")
    user, auth_session = found
    if user.disabled or auth_session.revoked_at is not None:
        raise _unauthenticated("The access token is invalid or expired.")
    set_user_id(request.scope, str(user.id))
    return Principal(user=user, session_id=auth_session.id)


def _require(*roles: Role) -> object:
    async def check(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
        if principal.user.role not in roles:
            raise ProblemError(403, "Your role does not allow this action.")
        return principal

    return Depends(check)


CurrentUser = Annotated[Principal, Depends(current_principal)]
EditorUser = Annotated[Principal, _require(Role.ADMIN, Role.EDITOR)]
AdminUser = Annotated[Principal, _require(Role.ADMIN)]
