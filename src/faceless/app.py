"""The application factory: services, middleware (in order), routers, error handlers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware

from faceless.api.router import build_api_router, build_root_router
from faceless.errors import install_error_handlers
from faceless.security.middleware.request_id import RequestIdMiddleware
from faceless.services import Services, build_services
from faceless.settings import Settings


def create_app(settings: Settings, *, services: Services | None = None) -> FastAPI:
    """Build the ASGI app. Pass ``services`` to share them with a caller (tests, CLI)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or build_services(settings)
        await app.state.services.queue.start()
        try:
            yield
        finally:
            if owned:
                await app.state.services.close()
            else:
                await app.state.services.queue.close()

    # Outermost first. Each layer is pure ASGI and answers eagerly.
    middleware = [
        Middleware(RequestIdMiddleware),
    ]
    app = FastAPI(
        title="FacelessYouTube API",
        version="1.0.0",
        lifespan=lifespan,
        middleware=middleware,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    install_error_handlers(app)
    app.include_router(build_root_router())
    app.include_router(build_api_router())
    return app
