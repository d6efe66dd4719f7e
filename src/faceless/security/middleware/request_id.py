"""Request ids: echo a well-formed incoming ``X-Request-ID``, else mint one.

The id lands in ``scope["state"]`` (for handlers and the problem documents), in
the logging context (for every log line) and on every response; each request leaves
one access-log line. The response edge (``response_edge``) does this, with the
security headers and the metrics, in one layer.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from starlette.types import Scope

from faceless.logging import access_log
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
