"""Liveness answered by the innermost edge layer, without FastAPI's routing.

``GET /health`` (and ``/api/v1/health``) is a constant that orchestrators probe every
few seconds. Profiled under load (issue 11), FastAPI's part of that answer (its
exception layers, route matching, dependency solving, building a ``Response``) was a
fifth of the request's cost, for a body that never changes. This layer, the innermost
of ours, answers those two requests itself with the exact head and body the route
answers (a test compares them), after every other layer has done its work: the request
id, the security headers, the metrics (under the route's own template), the access log,
the Host check, the body and rate rules.

The route stays mounted: it is the contract's definition (the OpenAPI document), and
FastAPI still answers every other method (``HEAD`` and ``POST`` are 405, as before).
"""

from __future__ import annotations

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

# The route's answer, serialised once (``Liveness().model_dump_json()``).
LIVE_BODY = b'{"status":"ok"}'
LIVE_HEADERS = (
    (b"content-length", str(len(LIVE_BODY)).encode()),
    (b"content-type", b"application/json"),
)


class LivenessMiddleware:
    def __init__(self, app: ASGIApp, *, route: BaseRoute, paths: frozenset[str]) -> None:
        self.app = app
        self.route = route
        self.paths = paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in self.paths:
            await self.app(scope, receive, send)
            return
        scope["route"] = self.route  # what routing would have recorded (metrics' template)
        await send({"type": "http.response.start", "status": 200, "headers": [*LIVE_HEADERS]})
        await send({"type": "http.response.body", "body": LIVE_BODY})
