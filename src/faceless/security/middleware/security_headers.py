"""Adds the start-up-computed security headers to every response, exactly once.

A header the endpoint already set (the docs page's nonce CSP, a static asset's
Cache-Control) is kept; every other one is added. Runs inside the request-id
layer and outside everything that can answer early, so 404s, 413s and 429s get
the headers too; the catch-all 500 adds them itself (see ``faceless.errors``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceless.security.headers import HeaderPolicy


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, policy: HeaderPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Read the scheme now: the proxy layer inside may have corrected it.
                extra = self.policy.for_scheme(scope.get("scheme", "http"))
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in extra if pair[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
