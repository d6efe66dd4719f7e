"""Request ids: echo a well-formed incoming ``X-Request-ID``, else mint one.

The id lands in ``scope["state"]`` (for handlers and the problem documents), in
the logging context (for every log line) and on every response; each request leaves
one access-log line. The app's response edge (``response_edge``) does this with the
security headers and the metrics in one layer; ``RequestIdMiddleware`` does it alone,
for the plain-HTTP redirect app.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceless.logging import REQUEST_ID, access_log
from faceless.security.request_state import client_ip, set_request_id, user_id

_WELL_FORMED = re.compile(rb"^[A-Za-z0-9._-]{1,128}$")
HEADER = b"x-request-id"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == HEADER:
            return value.decode("ascii") if _WELL_FORMED.match(value) else None
    return None


def request_id_for(scope: Scope) -> str:
    """The request's id (echoed or minted), left in its state for handlers and problems."""
    # 128 random bits as 32 hex digits (uuid4().hex's shape, without building a UUID).
    request_id = _incoming_id(scope) or os.urandom(16).hex()
    set_request_id(scope, request_id)
    return request_id


def log_access(scope: Scope, request_id: str, status: int, seconds: float) -> None:
    """The request's one access-log line (``status`` 0: none was sent, so 500)."""
    if access_log.enabled:
        access_log.emit(
            {
                "timestamp": datetime.now(UTC).isoformat(),
                "level": "info",
                "logger": "faceless.access",
                "event": "request",
                "request_id": request_id,
                "method": scope["method"],
                "path": scope["path"],
                "status": status or 500,
                "duration_ms": round(seconds * 1000, 2),
                "client_ip": client_ip(scope),
                "user_id": user_id(scope),
            }
        )


class RequestIdMiddleware:
    """The id and the access log alone, for an app without the response edge (redirects)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_for(scope)
        raw_id = request_id.encode("ascii")
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                headers.append((HEADER, raw_id))
                message["headers"] = headers
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
            log_access(scope, request_id, status, time.perf_counter() - started)
