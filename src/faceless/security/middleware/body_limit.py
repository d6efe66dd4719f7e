"""413 for oversized bodies (declared or streamed) and 415 for the wrong media type.

The answers given before the body is read close the connection: kept alive, the
server would still receive (and discard) all that the client goes on sending.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceless.problems import problem_response
from faceless.security import request_state
from faceless.security.body_rules import CLOSE_UNREAD, BodyRules

_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "TRACE"})


class BodyTooLargeError(HTTPException):
    """Raised from ``receive`` mid-stream; the problem handler turns it into a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body exceeds {limit} bytes.")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, rules: BodyRules) -> None:
        self.app = app
        self.rules = rules

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _BODYLESS:
            await self.app(scope, receive, send)
            return
        rule = self.rules.for_path(scope["path"])
        declared: int | None = None
        media_type = ""
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
            elif name == b"content-type":
                media_type = value.decode("latin-1").split(";", 1)[0].strip().lower()
            elif name == b"transfer-encoding":
                chunked = True
        if declared is not None and (declared < 0 or declared > rule.max_bytes):
            status, detail = (
                (400, "The Content-Length header is malformed.")
                if declared < 0
                else (413, f"The request body exceeds {rule.max_bytes} bytes.")
            )
            await problem_response(
                status, detail, request_id=request_state.request_id(scope), headers=CLOSE_UNREAD
            )(scope, receive, send)
            return
        has_body = chunked or bool(declared)
        if has_body and media_type not in rule.media_types:
            detail = "The request body must be " + " or ".join(sorted(rule.media_types)) + "."
            await problem_response(
                415, detail, request_id=request_state.request_id(scope), headers=CLOSE_UNREAD
            )(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > rule.max_bytes:
                    raise BodyTooLargeError(rule.max_bytes)
            return message

        # Count what arrives even when Content-Length was declared: a server that does not
        # enforce the framing (or a lying client behind one) must not smuggle more in.
        await self.app(scope, counting_receive, send)
