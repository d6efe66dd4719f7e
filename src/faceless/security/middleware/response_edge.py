"""The response edge: what every response carries and what every request leaves behind.

One layer, outermost, does three jobs that each need the whole answer in view: the
request id (``request_id``: echoed or minted, on the response, in the logging context,
in the access log), the security headers, and the request metrics (``request_metrics``).
They were three layers; each layer costs every request a call and a ``send`` wrapper,
and under load that was a tenth of ``/health`` (issue 11, profiled). Being outermost,
the edge covers every answer, the 400s, 413s and 429s of the layers inside included;
the catch-all 500 adds the headers itself (see ``faceless.errors``).

Security headers: a header the endpoint already set (the docs page's nonce CSP, a
static asset's Cache-Control) is kept; every other one is added. Which set depends on
the scheme, read when the response starts (the proxy layer inside may correct it).
Response headers end in the policy's, then ``x-request-id`` (an app's own is dropped).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceless.logging import REQUEST_ID
from faceless.security.headers import HeaderPolicy
from faceless.security.middleware.request_id import HEADER, log_access, request_id_for
from faceless.security.middleware.request_metrics import RequestCounter, flushing_at_shutdown

Pairs = list[tuple[bytes, bytes]]


class ResponseEdgeMiddleware:
    """The edge of an app; ``policy=None, counted=False``: only the id and the access log
    (the plain-HTTP redirect app, which writes its own headers and has no routes)."""

    def __init__(self, app: ASGIApp, *, policy: HeaderPolicy | None, counted: bool) -> None:
        self.app = app
        self.counter = RequestCounter() if counted else None
        self._plain = list(policy.for_scheme("http")) if policy else []
        self._secure = list(policy.for_scheme("https")) if policy else []
        self._names = frozenset(name for name, _ in self._secure)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                send = flushing_at_shutdown(send)
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_for(scope)
        raw_id = request_id.encode("ascii")
        status = 0

        async def send_from_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = self._headers(message.get("headers", ()), scope, raw_id)
            await send(message)

        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send_from_edge)
        finally:
            REQUEST_ID.reset(token)
            seconds = time.perf_counter() - started
            log_access(scope, request_id, status, seconds)
            if self.counter is not None:
                self.counter.note(scope, status or 500, seconds)

    def _headers(self, app_headers: Pairs, scope: Scope, raw_id: bytes) -> Pairs:
        headers = list(app_headers)
        present = {name.lower() for name, _ in headers}
        if HEADER in present:
            headers = [pair for pair in headers if pair[0].lower() != HEADER]
        policy = self._secure if scope.get("scheme", "http") in ("https", "wss") else self._plain
        if present.isdisjoint(self._names):
            headers += policy
        else:
            headers.extend(pair for pair in policy if pair[0] not in present)
        headers.append((HEADER, raw_id))
        return headers
