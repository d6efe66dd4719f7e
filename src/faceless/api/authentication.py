"""Authentication before bodies: a request that may not be served is refused unread.

Design. FastAPI reads a request's body (a multipart upload is spooled to disk) before
it runs any dependency, so a dependency cannot refuse a request cheaply. This pure
ASGI layer, the innermost of the edge (after the rate limiter), decides first:

- Which requests need a token is an :class:`AuthenticationPolicy` built from the
  authenticated routers themselves (``routes.authentication_policy``): a path that
  one of their routes matches. A new route is covered by being mounted; a path no
  route matches goes on to the app's 404.
- The principal comes from ``auth.bearer.resolve_principal`` (signature, claims, user
  enabled, session not revoked), the same function the FastAPI dependency falls back
  on; it is left in the request state, where the dependency takes it, so the database
  is asked once per request.
- A request made with an API token is refused here (403, audited) when its route does
  not accept API tokens or needs a scope the token (or its owner's role) lacks: each
  route's declaration (``api.scopes``) is in the policy as a :class:`RouteAccess`.
- An upload route declares an :class:`UploadGate`: what can be decided from the
  principal and the path alone (role, ownership of the path's resource, a quota)
  is decided here too, before the upload is read.
- A refusal of a request that announced a body carries ``Connection: close``: the
  server stops receiving instead of reading and discarding the rest. A client that
  sends ``Expect: 100-continue`` never sends the body at all.

The body-size layer runs before this one, so a declared ``Content-Length`` over the
route's limit is a 413 whatever the token.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from faceless.api.auth import principal_for
from faceless.api.deps import AppRuntime
from faceless.api.scopes import ScopeRequirement, deny, refusal
from faceless.auth.bearer import bearer_token
from faceless.auth.principal import Principal
from faceless.context import RequestContext
from faceless.errors import ProblemError
from faceless.problems import problem_response
from faceless.security import request_state
from faceless.security.body_rules import CLOSE_UNREAD, announces_body

Gate = Callable[[Principal, Mapping[str, str], AppRuntime], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class UploadGate:
    """The pre-body checks of one upload route (``pattern`` as Starlette compiles it)."""

    method: str
    pattern: re.Pattern[str]
    check: Gate


@dataclass(frozen=True, slots=True)
class RouteAccess:
    """What one route (method and compiled path) declares about API tokens."""

    method: str
    pattern: re.Pattern[str]
    requirement: ScopeRequirement | None


@dataclass(frozen=True, slots=True)
class AuthenticationPolicy:
    """The authenticated routes' paths: exact ones in a set, templates as patterns."""

    exact: frozenset[str]
    patterns: tuple[re.Pattern[str], ...]
    gates: tuple[UploadGate, ...] = ()
    access: tuple[RouteAccess, ...] = ()

    def access_for(self, method: str, path: str) -> RouteAccess | None:
        """The declaration of the route serving this request; None if none does (404/405)."""
        for access in self.access:
            if access.method == method and access.pattern.match(path):
                return access
        return None

    def requires_token(self, path: str) -> bool:
        return path in self.exact or any(pattern.match(path) for pattern in self.patterns)

    def gate_for(self, method: str, path: str) -> tuple[Gate, dict[str, str]] | None:
        for gate in self.gates:
            if gate.method == method and (match := gate.pattern.match(path)):
                return gate.check, match.groupdict()
        return None


def _header(scope: Scope, name: bytes) -> bytes | None:
    return next((value for key, value in scope["headers"] if key == name), None)


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, *, policy: AuthenticationPolicy, runtime: AppRuntime) -> None:
        self.app = app
        self.policy = policy
        self.runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.policy.requires_token(scope["path"]):
            await self.app(scope, receive, send)
            return
        try:
            await self._authenticate(scope)
        except ProblemError as refusal:
            await self._refuse(refusal, scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _authenticate(self, scope: Scope) -> Principal:
        header = _header(scope, b"authorization")
        token = bearer_token(header.decode("latin-1") if header is not None else None)
        principal = await principal_for(self.runtime, scope, token)
        if principal.via_api_token:
            await self._check_access(principal, scope)
        gate = self.policy.gate_for(scope["method"], scope["path"])
        if gate is not None:
            check, params = gate
            await check(principal, params, self.runtime)
        return principal

    async def _check_access(self, principal: Principal, scope: Scope) -> None:
        access = self.policy.access_for(scope["method"], scope["path"])
        if access is None:
            return  # no route serves this method here: the app answers 404 or 405
        detail = refusal(principal, access.requirement)
        if detail is not None:
            ctx = RequestContext(
                client_ip=request_state.client_ip(scope), request_id=request_state.request_id(scope)
            )
            raise await deny(self.runtime.sessions, principal, ctx, detail)

    async def _refuse(
        self, refusal: ProblemError, scope: Scope, receive: Receive, send: Send
    ) -> None:
        headers = dict(refusal.headers)
        if announces_body(scope["headers"]):
            headers.update(CLOSE_UNREAD)
        response = problem_response(
            refusal.status,
            refusal.detail,
            title=refusal.title,
            headers=headers,
            extra=refusal.extra,
            request_id=request_state.request_id(scope),
        )
        await response(scope, receive, send)
