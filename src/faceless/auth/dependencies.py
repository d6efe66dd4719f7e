"""The authenticated-user dependency and the role-typed aliases endpoints declare.

Every check that can revoke a token happens here on each request: signature and
claims, the user still enabled, the sign-in session not revoked. One query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from faceless.api.deps import ReadSession, ServicesDep
from faceless.auth import repository
from faceless.errors import ProblemError
from faceless.models import Role, User
from faceless.security.ratelimit.identity import CLAIMS_STATE
from faceless.security.tokens import InvalidTokenError

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    session_id: uuid.UUID

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.role == Role.ADMIN


def _unauthenticated(detail: str = "A valid access token is required.") -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def current_principal(
    request: Request,
    services: ServicesDep,
    session: ReadSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _unauthenticated()
    state = request.scope.setdefault("state", {})
    verified = state.get(CLAIMS_STATE)
    if verified is not None and verified[0] == credentials.credentials:
        claims = verified[1]  # the rate limiter already checked this very token
    else:
        try:
            claims = services.tokens.decode(credentials.credentials)
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
    state["user_id"] = str(user.id)
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
