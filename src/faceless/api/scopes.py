"""Which routes an API token may call: one declaration per route, API tokens refused by default.

A route that API tokens may use says so once, in its decorator::

    @router.get("", dependencies=[require_scope(VIDEOS_READ)])

``accepts_any_api_token()`` is the one exception without a scope (``GET /auth/me``).
A route without either declaration refuses API tokens (403, audited as
``token.denied``): a new route is closed to scripts until someone decides otherwise,
and token, session, MFA, password, user and audit routes never declare one.

The declaration is read in two places, which apply the same :func:`refusal`: the
authentication layer (``api.authentication``), which refuses before the body is read,
through the policy ``routes.authentication_policy`` builds from
:func:`requirement_of`; and :func:`authorize`, the dependency of every authenticated
router, from the matched route, should a request reach a route without that layer.
The owner's current role is checked as well as the token's scopes
(``Principal.has_scope``), and the route's role dependency still applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.api.auth import BearerDeclaration, request_principal
from faceless.api.deps import request_context, runtime_of
from faceless.auth.principal import Principal
from faceless.auth.scopes import SCOPES
from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.db.session import transaction
from faceless.errors import ProblemError

REFUSED_DETAIL = "API tokens cannot be used here; sign in with a password for this."


@dataclass(frozen=True, slots=True)
class ScopeRequirement:
    """The scope an API token needs for a route; ``None``: any valid API token."""

    scope: str | None

    async def __call__(self) -> None:
        """A declaration only: :func:`authorize` and the authentication layer check it."""


def require_scope(scope: str) -> Any:
    """The dependency that declares (and checks) the scope an API token needs here."""
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    return Depends(ScopeRequirement(scope))


def accepts_any_api_token() -> Any:
    """Declares that any valid API token may call the route, whatever its scopes."""
    return Depends(ScopeRequirement(None))


def requirement_of(route: APIRoute) -> ScopeRequirement | None:
    """The route's declaration; None when API tokens are refused there."""
    found = [
        dependency.dependency
        for dependency in route.dependencies
        if isinstance(dependency.dependency, ScopeRequirement)
    ]
    if len(found) > 1:
        raise RuntimeError(f"{route.path}: one scope declaration per route")
    return found[0] if found else None


async def authorize(request: Request, _credentials: BearerDeclaration) -> Principal:
    """The principal, if the matched route accepts how it authenticated (else a 403).

    No sub-dependencies: it runs on every authenticated request, and each one costs a
    resolution step (issue 11: profiled under load).
    """
    principal = await request_principal(request)
    if not principal.via_api_token:
        return principal  # a password session: its role decides, in the route
    route = request.scope.get("route")
    requirement = requirement_of(route) if isinstance(route, APIRoute) else None
    detail = refusal(principal, requirement)
    if detail is not None:
        sessions = runtime_of(request).sessions
        raise await deny(sessions, principal, request_context(request), detail)
    return principal


def refusal(principal: Principal, requirement: ScopeRequirement | None) -> str | None:
    """Why ``principal`` may not call a route declaring ``requirement``; None if it may."""
    if not principal.via_api_token:
        return None  # a password session: its role decides, in the route
    if requirement is None:
        return REFUSED_DETAIL
    if requirement.scope is not None and not principal.has_scope(requirement.scope):
        return f"This API token or its owner's role does not allow {requirement.scope!r}."
    return None


async def deny(
    sessions: async_sessionmaker[AsyncSession],
    principal: Principal,
    ctx: RequestContext,
    detail: str,
) -> ProblemError:
    """The 403 for an API token refused here, audited as ``token.denied``."""
    async with transaction(sessions) as session:
        await record(
            session,
            action="token.denied",
            outcome="denied",
            actor_id=principal.id,
            target=f"token:{principal.session_id}",
            ctx=ctx,
        )
    return ProblemError(403, detail)
