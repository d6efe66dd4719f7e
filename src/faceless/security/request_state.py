"""What the edge layers leave in the ASGI ``scope["state"]`` for the code after them.

Starlette exposes ``scope["state"]`` as ``request.state``; several layers write to it
(the request id, the client address, the verified access token, the signed-in user)
and later layers, handlers and log lines read it. Every key is declared here, with a
typed reader and writer, so no layer depends on another's spelling of a string.

The authenticated principal is a feature's type, which this platform module cannot
name: its reader takes the class the caller expects and returns only an instance of
it, so the value stays typed without an import pointing up.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any, TypeVar

from faceless.security.tokens import AccessClaims

Scope = MutableMapping[str, Any]
T = TypeVar("T")

_REQUEST_ID = "request_id"
_CLIENT_IP = "client_ip"
_USER_ID = "user_id"
_VERIFIED_BEARER = "verified_access_token"
_PRINCIPAL = "principal"
_PRINCIPAL_GENERATION = "principal_generation"


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """An access token whose signature and claims were already checked in this request."""

    token: str
    claims: AccessClaims


def _state(scope: Scope) -> dict[str, Any]:
    state: dict[str, Any] = scope.setdefault("state", {})
    return state


def _read(scope: Scope, key: str) -> Any:
    state = scope.get("state")
    return state.get(key) if isinstance(state, dict) else None


def set_request_id(scope: Scope, request_id: str) -> None:
    _state(scope)[_REQUEST_ID] = request_id


def request_id(scope: Scope) -> str | None:
    value = _read(scope, _REQUEST_ID)
    return value if isinstance(value, str) else None


def set_client_ip(scope: Scope, client_ip: str | None) -> None:
    _state(scope)[_CLIENT_IP] = client_ip


def client_ip(scope: Scope) -> str | None:
    """The client address as the proxy layer resolved it (None before that layer ran)."""
    value = _read(scope, _CLIENT_IP)
    return value if isinstance(value, str) else None


def set_user_id(scope: Scope, user_id: str) -> None:
    _state(scope)[_USER_ID] = user_id


def user_id(scope: Scope) -> str | None:
    value = _read(scope, _USER_ID)
    return value if isinstance(value, str) else None


def remember_verified_token(scope: Scope, token: str, claims: AccessClaims) -> None:
    _state(scope)[_VERIFIED_BEARER] = VerifiedToken(token, claims)


def verified_claims_for(scope: Scope, token: str) -> AccessClaims | None:
    """The claims checked earlier in this request for exactly ``token``, if any."""
    verified = _read(scope, _VERIFIED_BEARER)
    if isinstance(verified, VerifiedToken) and verified.token == token:
        return verified.claims
    return None


def set_principal(scope: Scope, principal: object, *, user_id: str) -> None:
    """Who the authentication layer found the request to come from (and their id, for logs)."""
    state = _state(scope)
    state[_PRINCIPAL] = principal
    state[_USER_ID] = user_id


def principal_as(scope: Scope, kind: type[T]) -> T | None:
    """The principal the authentication layer resolved, if it is a ``kind``."""
    value = _read(scope, _PRINCIPAL)
    return value if isinstance(value, kind) else None


def set_principal_generation(scope: Scope, generation: str) -> None:
    """The principal generation observed before this request read anything (the limiter)."""
    _state(scope)[_PRINCIPAL_GENERATION] = generation


def principal_generation(scope: Scope) -> str | None:
    """None when it could not be observed: then no cached principal may be used."""
    value = _read(scope, _PRINCIPAL_GENERATION)
    return value if isinstance(value, str) else None
