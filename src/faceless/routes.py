"""Every route, and which of them are public.

Routes are authenticated by default: the feature routers below declare their
own role dependencies, and the public list is short and explicit. The same lists
give the authentication layer its policy (``authentication_policy``), so a request
is refused before its body is read wherever a route needs a token.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.routing import compile_path

from faceless.analyze.endpoints import router as analyze_router
from faceless.api.authentication import AuthenticationPolicy, Gate, RouteAccess, UploadGate
from faceless.api.problems import PROBLEM_RESPONSES
from faceless.api.scopes import authorize, requirement_of
from faceless.audit.endpoints import router as audit_router
from faceless.auth.api_tokens.endpoints import router as api_tokens_router
from faceless.auth.endpoints import public_router as auth_public_router
from faceless.auth.endpoints import router as auth_router
from faceless.auth.mfa.endpoints import public_router as mfa_public_router
from faceless.auth.mfa.endpoints import router as mfa_router
from faceless.auth.sessions.endpoints import router as sessions_router
from faceless.health.endpoints import health
from faceless.health.endpoints import router as health_router
from faceless.health.metrics_endpoint import router as metrics_router
from faceless.jobs.endpoints import router as jobs_router
from faceless.schedule.endpoints import router as schedule_router
from faceless.transcribe.endpoints import router as transcribe_router
from faceless.transcribe.endpoints import transcribe, transcribe_gate
from faceless.users.endpoints import router as users_router
from faceless.videos.endpoints import router as videos_router
from faceless.videos.endpoints import upload_media, upload_thumbnail, video_upload_gate

API_PREFIX = "/api/v1"

PUBLIC_ROUTERS = (auth_public_router, mfa_public_router)
AUTHENTICATED_ROUTERS = (
    auth_router,
    mfa_router,
    sessions_router,
    api_tokens_router,
    users_router,
    videos_router,
    analyze_router,
    transcribe_router,
    jobs_router,
    schedule_router,
    audit_router,
)
# Matched first (``include_routes``): the reads and writes clients make all the time.
HOT_ROUTERS = (videos_router, jobs_router)
# Routes whose body is an upload: what the principal and the path decide (role,
# ownership of the path's resource, quotas) is decided before the body is read.
UPLOAD_GATES: dict[Callable[..., Any], Gate] = {
    transcribe: transcribe_gate,
    upload_media: video_upload_gate,
    upload_thumbnail: video_upload_gate,
}


def authentication_policy() -> AuthenticationPolicy:
    """Every path an authenticated router's route matches needs a token."""
    routes = [
        route
        for router in AUTHENTICATED_ROUTERS
        for route in router.routes
        if isinstance(route, APIRoute)
    ]
    templates = {API_PREFIX + route.path for route in routes}
    gates = [
        UploadGate(method, compile_path(API_PREFIX + route.path)[0], UPLOAD_GATES[route.endpoint])
        for route in routes
        if route.endpoint in UPLOAD_GATES
        for method in sorted(route.methods or ())
    ]
    if {gate.check for gate in gates} != set(UPLOAD_GATES.values()):
        raise RuntimeError("an upload gate names an endpoint that no authenticated router mounts")
    access = [
        RouteAccess(method, compile_path(API_PREFIX + route.path)[0], requirement_of(route))
        for route in routes
        for method in sorted(route.methods or ())
    ]
    return AuthenticationPolicy(
        exact=frozenset(t for t in templates if "{" not in t),
        patterns=tuple(compile_path(t)[0] for t in sorted(templates) if "{" in t),
        gates=tuple(gates),
        access=tuple(access),
    )


# Where include_routes mounts the liveness route; health.liveness answers GET there.
LIVENESS_PATHS = frozenset({"/health", API_PREFIX + "/health"})


def liveness_route() -> APIRoute:
    """The liveness route, as routing records it in ``scope["route"]``."""
    return next(
        route
        for route in health_router.routes
        if isinstance(route, APIRoute) and route.endpoint is health
    )


def include_routes(app: FastAPI) -> None:
    """Mount every router on the app itself, one level deep, the busiest first.

    FastAPI matches nested routers level by level, and tries the included routers in
    the order they were included, each against all of its routes: including each
    feature router directly (with the API prefix) keeps routing to a single pass, and
    including the routers every client calls all the time first (``HOT_ROUTERS``) spares
    their requests a match against every other route (issue 11: profiled under load).
    No two routers serve the same path, so the order changes nothing else.
    """
    app.include_router(health_router, responses=PROBLEM_RESPONSES)
    # /api/v1/health answers like /health.
    app.include_router(health_router, prefix=API_PREFIX, include_in_schema=False)
    for router in (*HOT_ROUTERS, *(r for r in AUTHENTICATED_ROUTERS if r not in HOT_ROUTERS)):
        # FastAPI caches the dependency per request, so endpoints that also ask for
        # the principal (to check a role) do not authenticate twice.
        app.include_router(
            router,
            prefix=API_PREFIX,
            responses=PROBLEM_RESPONSES,
            # authorize: the principal, and whether an API token may call this route.
            dependencies=[Depends(authorize)],
        )
    for public in PUBLIC_ROUTERS:
        app.include_router(public, prefix=API_PREFIX, responses=PROBLEM_RESPONSES)
    app.include_router(metrics_router, responses=PROBLEM_RESPONSES)
