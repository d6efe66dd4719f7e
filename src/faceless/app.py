"""The application factory: runtime, middleware (in order), routers, error handlers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from faceless.analyze.analyzer import warm_up as warm_up_analyzer
from faceless.api.authentication import AuthenticationMiddleware
from faceless.api.docs import API_DESCRIPTION, build_docs_router
from faceless.db.audit.head_export_schedule import HeadExporter
from faceless.health.liveness import LivenessMiddleware
from faceless.logging import access_log
from faceless.problems import install_error_handlers
from faceless.routes import LIVENESS_PATHS, authentication_policy, include_routes, liveness_route
from faceless.runtime.container import Runtime, build_runtime
from faceless.secrets.reload import install_sighup_reload
from faceless.security.edge_policy import RATE_LIMIT_HEADERS, Edge, build_edge
from faceless.security.middleware.body_limit import BodyLimitMiddleware
from faceless.security.middleware.proxy_headers import ProxyHeadersMiddleware
from faceless.security.middleware.response_edge import ResponseEdgeMiddleware
from faceless.security.ratelimit.middleware import RateLimitMiddleware
from faceless.settings import Settings


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> FastAPI:
    """Build the ASGI app. Pass ``runtime`` to share it with a caller (tests, CLI)."""
    owned = runtime is None
    shared = runtime or build_runtime(settings)
    edge = build_edge(settings)
    app = FastAPI(
        title="FacelessYouTube API",
        version="1.0.0",
        description=API_DESCRIPTION,
        lifespan=_lifespan(shared, edge, owned=owned),
        middleware=_middleware(settings, edge, shared),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        # We export Prometheus metrics and JSON logs; FastAPI's OpenTelemetry hooks would
        # only add per-request work for a tracer nobody configured.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.runtime = shared
    app.state.error_headers = {
        "http": edge.headers.as_dict(https=False),
        "https": edge.headers.as_dict(https=True),
    }
    install_error_handlers(app)
    include_routes(app)
    if settings.http.docs_enabled:
        app.include_router(build_docs_router())
    return app


def _lifespan(
    runtime: Runtime, edge: Edge, *, owned: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        warm_up_analyzer()  # compile its Unicode patterns now, not on a client's request
        await runtime.start()
        uninstall_reload = install_sighup_reload(runtime)
        audit_exporter = HeadExporter.for_runtime(runtime)
        audit_exporter.start()
        # Everything allocated so far lives as long as the process: keep it out of the
        # collector's full passes, which otherwise pause every request for ~100 ms.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            access_log.flush()
            uninstall_reload()
            await audit_exporter.close()
            await edge.rate_storage.close()
            if owned:
                await runtime.close()
            else:
                await runtime.queue.close()

    return lifespan


def _middleware(settings: Settings, edge: Edge, runtime: Runtime) -> list[Middleware]:
    """Outermost first. Each layer is pure ASGI and answers eagerly.

    The response edge (request id, security headers, metrics, access log) wraps
    everything else so that every answer carries them, including a 400 for a bad Host,
    a 413 or a 429. Authentication comes after the size and rate checks (cheaper, and
    413 whatever the token) and before the app, which would read the body first (ADR
    0014). Liveness is answered innermost, after all of them, without FastAPI's
    routing (ADR 0029).
    """
    return [
        Middleware(ResponseEdgeMiddleware, policy=edge.headers, counted=True),
        Middleware(
            ProxyHeadersMiddleware, policy=edge.proxies, allowed_hosts=settings.http.allowed_hosts
        ),
        # CORS only exists when origins are listed: with none, no CORS header is ever sent.
        *([_cors(settings.http.cors_origins)] if settings.http.cors_origins else []),
        Middleware(BodyLimitMiddleware, rules=edge.body_rules),
        Middleware(
            RateLimitMiddleware,
            rules=edge.rate_rules,
            storage=edge.rate_storage,
            codec=runtime.tokens,
            api_tokens=runtime.api_tokens,
        ),
        Middleware(AuthenticationMiddleware, policy=authentication_policy(), runtime=runtime),
        Middleware(LivenessMiddleware, route=liveness_route(), paths=LIVENESS_PATHS),
    ]


def _cors(origins: list[str]) -> Middleware:
    return Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PATCH", "DELETE"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Location", "Retry-After", *RATE_LIMIT_HEADERS],
        max_age=600,
    )
