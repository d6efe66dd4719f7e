"""The application factory: services, middleware (in order), routers, error handlers."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from faceless.analyze.analyzer import warm_up as warm_up_analyzer
from faceless.api.docs import build_docs_router
from faceless.api.router import include_routes
from faceless.audit.exporter import HeadExporter
from faceless.errors import install_error_handlers
from faceless.secrets.reload import install_sighup_reload
from faceless.security.edge import RATE_LIMIT_HEADERS, build_edge
from faceless.security.middleware.body_limit import BodyLimitMiddleware
from faceless.security.middleware.proxy_headers import ProxyHeadersMiddleware
from faceless.security.middleware.request_id import RequestIdMiddleware
from faceless.security.middleware.security_headers import SecurityHeadersMiddleware
from faceless.security.ratelimit.middleware import RateLimitMiddleware
from faceless.services import Services, build_services
from faceless.settings import Settings


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """Build the ASGI app. Pass ``services`` to share them with a caller (tests, CLI)."""

    owned = services is None
    shared = services or build_services(settings)
    edge = build_edge(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        warm_up_analyzer()  # compile its Unicode patterns now, not on a client's request
        await shared.start()
        uninstall_reload = install_sighup_reload(shared)
        audit_exporter = HeadExporter.for_services(shared)
        audit_exporter.start()
        # Everything allocated so far lives as long as the process: keep it out of the
        # collector's full passes, which otherwise pause every request for ~100 ms.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            uninstall_reload()
            await audit_exporter.close()
            await edge.rate_storage.close()
            if owned:
                await shared.close()
            else:
                await shared.queue.close()

    # Outermost first. Each layer is pure ASGI and answers eagerly. The request id and
    # the security headers wrap everything else so that every answer carries them,
    # including a 400 for a bad Host, a 413 or a 429.
    middleware = [
        Middleware(RequestIdMiddleware),
        Middleware(SecurityHeadersMiddleware, policy=edge.headers),
        Middleware(
            ProxyHeadersMiddleware, policy=edge.proxies, allowed_hosts=settings.http.allowed_hosts
        ),
        # CORS only exists when origins are listed: with none, no CORS header is ever sent.
        *(
            [
                Middleware(
                    CORSMiddleware,
                    allow_origins=settings.http.cors_origins,
                    allow_credentials=True,
                    allow_methods=["GET", "POST", "PATCH", "DELETE"],
                    allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                    expose_headers=["X-Request-ID", "Location", "Retry-After", *RATE_LIMIT_HEADERS],
                    max_age=600,
                )
            ]
            if settings.http.cors_origins
            else []
        ),
        Middleware(BodyLimitMiddleware, rules=edge.body_rules),
        Middleware(
            RateLimitMiddleware,
            rules=edge.rate_rules,
            storage=edge.rate_storage,
            codec=shared.tokens,
        ),
    ]
    app = FastAPI(
        title="FacelessYouTube API",
        version="1.0.0",
        lifespan=lifespan,
        middleware=middleware,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        # We export Prometheus metrics and JSON logs; FastAPI's OpenTelemetry hooks would
        # only add per-request work for a tracer nobody configured.
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.services = shared
    app.state.error_headers = {
        "http": edge.headers.as_dict(https=False),
        "https": edge.headers.as_dict(https=True),
    }
    install_error_handlers(app)
    include_routes(app)
    if settings.http.docs_enabled:
        app.include_router(build_docs_router())
    return app
