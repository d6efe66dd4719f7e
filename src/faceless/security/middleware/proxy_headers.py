"""Client address and scheme from trusted proxies only; then the Host allow-list.

Rewrites ``scope["client"]`` and ``scope["scheme"]`` so everything downstream
(HSTS, redirects, rate-limit keys, audit, logs) sees the real client, and stores
the address in ``scope["state"]["client_ip"]``. A request whose ``Host`` is not
allowed is answered 400 here, before any other work.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from faceless.problems import problem_response
from faceless.security import request_state
from faceless.security.proxy import ProxyPolicy, resolve_client
from faceless.security.request_state import set_client_ip


def _host_without_port(host: bytes) -> str:
    text = host.decode("latin-1").strip().lower()
    if text.startswith("["):  # [::1]:8443
        return text[1 : text.find("]")] if "]" in text else text
    return text.rsplit(":", 1)[0] if text.count(":") == 1 else text


class ProxyHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, policy: ProxyPolicy, allowed_hosts: list[str]) -> None:
        self.app = app
        self.policy = policy
        self.allow_any_host = "*" in allowed_hosts
        self.allowed_hosts = frozenset(h.lower().strip("[]") for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        host = b""
        forwarded_for: list[bytes] = []
        forwarded_proto = b""
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"x-forwarded-for":
                forwarded_for.append(value)
            elif name == b"x-forwarded-proto":
                forwarded_proto = value
        peer = scope.get("client")
        peer_host = peer[0] if peer else None
        if peer_host is not None and self.policy.is_trusted(peer_host):
            client = resolve_client(self.policy, peer_host, forwarded_for)
            scope["client"] = (client, 0)
            proto = forwarded_proto.decode("latin-1").split(",")[-1].strip().lower()
            if proto in ("http", "https"):
                scope["scheme"] = proto
            set_client_ip(scope, client)
        else:
            set_client_ip(scope, peer_host)
        if not self.allow_any_host and _host_without_port(host) not in self.allowed_hosts:
            response = problem_response(
                400, "The Host header is not allowed.", request_id=request_state.request_id(scope)
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
