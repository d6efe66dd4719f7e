"""Request ids: echo a well-formed incoming ``X-Request-ID``, else mint one.

The id lands in ``scope["state"]`` (for handlers and the problem documents), in
the logging context (for every log line) and on every response. This layer also
writes the one access-log line per request.
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
_HEADER = b"x-request-id"


def _incoming_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _HEADER:
            return value.decode("ascii") if _WELL_FORMED.match(value) else None
    return None


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # 128 random bits as 32 hex digits (uuid4().hex's shape, without building a UUID).
        request_id = _incoming_id(scope) or os.urandom(16).hex()
        set_request_id(scope, request_id)
        raw_id = request_id.encode("ascii")
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != _HEADER]
                headers.append((_HEADER, raw_id))
                message["headers"] = headers
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(token)
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
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                        "client_ip": client_ip(scope),
                        "user_id": user_id(scope),
                    }
                )
