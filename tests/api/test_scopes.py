"""Every route of the OpenAPI schema either needs one scope of an API token or refuses them.

Generated from the schema the app serves, so a route added later is covered without
touching this file: it must refuse API tokens (the default) or declare its scope. For
each route a token with every scope but one is tried per scope: the scopes whose
absence makes a 403 are the route's requirement. API.md fixes what that must be for
the routes it names; a route that names none refuses every API token with a 403
(audited as ``token.denied``) while a password session of the same admin passes.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
from fastapi import FastAPI

from faceless.models import Role
from faceless.problems import install_error_handlers
from faceless.routes import include_routes
from faceless.runtime.container import Runtime
from tests.auth.api_tokens.support import ALL_SCOPES, audited, bearer, make_token
from tests.conftest import Accounts

# API.md "Account security": what an API token needs on each route scripts may use.
EXPECTED: dict[tuple[str, str], str | None] = {
    ("GET", "/api/v1/videos"): "videos:read",
    ("POST", "/api/v1/videos"): "videos:write",
    ("GET", "/api/v1/videos/{video_id}"): "videos:read",
    ("PATCH", "/api/v1/videos/{video_id}"): "videos:write",
    ("DELETE", "/api/v1/videos/{video_id}"): "videos:write",
    ("PUT", "/api/v1/videos/{video_id}/media"): "videos:write",
    ("GET", "/api/v1/videos/{video_id}/media"): "videos:read",
    ("PUT", "/api/v1/videos/{video_id}/thumbnail"): "videos:write",
    ("POST", "/api/v1/analyze"): "analyze",
    ("POST", "/api/v1/transcribe"): "transcribe",
    ("GET", "/api/v1/jobs"): "jobs:read",
    ("GET", "/api/v1/jobs/{job_id}"): "jobs:read",
    ("GET", "/api/v1/jobs/{job_id}/result"): "jobs:read",
    ("DELETE", "/api/v1/jobs/{job_id}"): "jobs:write",
    ("GET", "/api/v1/schedule"): "schedule:read",
    ("POST", "/api/v1/schedule"): "schedule:write",
    ("DELETE", "/api/v1/schedule/{schedule_id}"): "schedule:write",
    ("GET", "/api/v1/auth/me"): None,  # any API token, whatever its scopes
}
# Routes API.md says an API token may never use.
NEVER = re.compile(r"^/api/v1/(tokens|auth/sessions|auth/mfa|auth/logout|users|audit)(/|$)")
# Routes served without a token at all (nothing to refuse).
PUBLIC = re.compile(r"^/(health|metrics)|^/api/v1/auth/(login|refresh)")


def _routes(schema: dict[str, Any]) -> dict[tuple[str, str], str | None]:
    """(method, path) -> the first media type its request body declares, if any."""
    return {
        (method.upper(), path): next(
            iter(operation.get("requestBody", {}).get("content", {})), None
        )
        for path, operations in sorted(schema["paths"].items())
        for method, operation in operations.items()
        if not PUBLIC.match(path)
    }


def _body(media_type: str | None) -> dict[str, Any]:
    """A body the layers before authentication let through (right type, within limits)."""
    if media_type is None or media_type == "application/json":
        return {"json": {}}
    if media_type == "multipart/form-data":
        return {"files": {"file": ("clip.bin", b"not audio")}}
    return {"content": b"not media", "headers": {"Content-Type": media_type}}


async def _call(
    http: httpx.AsyncClient, route: tuple[str, str], media_type: str | None, token: str
) -> int:
    method, path = route
    url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
    body = _body(media_type) if method in {"POST", "PATCH", "PUT"} else {}
    headers = {**bearer(token), **body.pop("headers", {})}
    answer = await http.request(method, url, headers=headers, **body)
    assert answer.status_code not in {401, 413}, (method, path, answer.text)
    return answer.status_code


async def test_every_route_needs_a_scope_or_refuses_api_tokens(
    accounts: Accounts, services: Runtime
) -> None:
    http = accounts.client
    session = await accounts.headers("scopeadmin", Role.ADMIN)
    full = (await make_token(http, session, ALL_SCOPES))["token"]
    without = {
        scope: (await make_token(http, session, [s for s in ALL_SCOPES if s != scope]))["token"]
        for scope in ALL_SCOPES
    }
    only = {scope: (await make_token(http, session, [scope]))["token"] for scope in ALL_SCOPES}
    schema = (await http.get("/openapi.json")).json()
    routes = _routes(schema)
    assert set(EXPECTED) <= set(routes)
    denied_before = len(await audited(services, "token.denied"))
    refusals = 0
    for route, media in routes.items():
        if await _call(http, route, media, full) == 403:
            # Refuses API tokens: not for lack of a role, since the admin's session passes.
            assert route not in EXPECTED, route
            # A fresh sign-in each time: the route may end its session (logout).
            fresh = (await accounts.login("scopeadmin"))["access_token"]
            assert await _call(http, route, media, fresh) != 403, route
            refusals += 1
            continue
        assert not NEVER.match(route[1]), route
        needed = [s for s in ALL_SCOPES if await _call(http, route, media, without[s]) == 403]
        expected = EXPECTED.get(route, "undeclared")
        assert needed == ([] if expected is None else [expected]), (route, needed)
        if expected is not None:
            assert await _call(http, route, media, only[expected]) != 403, route
            others = [s for s in ALL_SCOPES if s != expected]
            assert all([await _call(http, route, media, only[s]) == 403 for s in others]), route
    assert refusals >= 10  # tokens (3), sessions (2), logout, users (4), audit (2)
    denied = await audited(services, "token.denied")
    assert len(denied) > denied_before + refusals
    assert all(
        outcome == "denied" and (target or "").startswith("token:") for target, outcome in denied
    )


async def test_the_routes_refuse_api_tokens_even_without_the_authentication_layer(
    accounts: Accounts, services: Runtime
) -> None:
    """``api.scopes.authorize`` applies the same declarations from the matched route."""
    session = await accounts.headers("layerless", Role.ADMIN)
    token = (await make_token(accounts.client, session, ["videos:read"]))["token"]
    bare = FastAPI()  # the routes alone: no middleware at all
    bare.state.runtime = services
    install_error_handlers(bare)
    include_routes(bare)
    transport = httpx.ASGITransport(app=bare)
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
        assert (await http.get("/api/v1/videos", headers=bearer(token))).status_code == 200
        for method, path in (("GET", "/api/v1/tokens"), ("POST", "/api/v1/videos")):
            answer = await http.request(method, path, headers=bearer(token), json={"title": "x"})
            assert answer.status_code == 403, (method, path, answer.text)
        assert (await http.get("/api/v1/tokens", headers=session)).status_code == 200
    assert len(await audited(services, "token.denied")) == 2
