"""The authenticated-user dependency and the role-typed aliases endpoints declare.

The authentication layer (``api.authentication``) has already resolved the principal
before the body was read; the dependency hands it to the endpoint. A route that
layer does not cover is authenticated here, by the same function
(``auth.bearer.resolve_principal``), so every request is checked exactly once.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from faceless.api.deps import AppRuntime, runtime_of
from faceless.auth.bearer import bearer_token, resolve_principal
from faceless.auth.principal import Principal
from faceless.errors import ProblemError
from faceless.models import Role
from faceless.security.request_state import (
    principal_as,
    principal_generation,
    set_principal,
    verified_claims_for,
)

# Declared for the OpenAPI document (the docs page's "Authorize"); the check is ours.
_bearer = HTTPBearer(
    auto_error=False,
    description=(
        "Access token from /api/v1/auth/login, or, with multi-factor sign-in active,"
        " from /api/v1/auth/login/mfa (see the description above)"
    ),
)

EDITOR_ROLES = frozenset({Role.ADMIN, Role.EDITOR})
ADMIN_ROLES = frozenset({Role.ADMIN})


async def principal_for(runtime: AppRuntime, scope: Scope, token: str | None) -> Principal:
    """Resolve ``token`` for the request in ``scope`` and leave the principal in its state.

    The one way a request is authenticated: the authentication layer calls it before the
    body is read, ``request_principal`` for a route that layer does not cover.
    """
    principal = await resolve_principal(
        sessions=runtime.read_sessions,
        codec=runtime.tokens,
        token=token,
        verified=verified_claims_for(scope, token) if token else None,
        cache=runtime.principal_cache,
        generation=principal_generation(scope),
        api_tokens=runtime.api_tokens,
    )
    set_principal(scope, principal, user_id=str(principal.id))
    return principal


async def request_principal(request: Request) -> Principal:
    """The principal behind the request's bearer token; resolved once per request."""
    known = principal_as(request.scope, Principal)
    if known is not None:
        return known  # the authentication layer resolved it before the body was read
    token = bearer_token(request.headers.get("authorization"))
    return await principal_for(runtime_of(request), request.scope, token)


# The OpenAPI declaration of the bearer scheme, for ``api.scopes.authorize`` (which every
# authenticated router carries) to depend on; the header itself is read by
# request_principal, the way the authentication layer reads it.
BearerDeclaration = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require_role(principal: Principal, roles: Collection[Role]) -> Principal:
    if principal.user.role not in roles:
        raise ProblemError(403, "Your role does not allow this action.")
    return principal


def _require(roles: Collection[Role]) -> object:
    async def check(principal: Annotated[Principal, Depends(request_principal)]) -> Principal:
        return require_role(principal, roles)

    return Depends(check)


CurrentUser = Annotated[Principal, Depends(request_principal)]
EditorUser = Annotated[Principal, _require(EDITOR_ROLES)]
AdminUser = Annotated[Principal, _require(ADMIN_ROLES)]
