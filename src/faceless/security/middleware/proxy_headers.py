"""Client address and scheme from trusted proxies only; then the Host allow-list.

Rewrites ``scope["client"]`` and ``scope["scheme"]`` so everything downstream
(HSTS, redirects, rate-limit keys, audit, logs) sees the real client, and stores
the address in ``scope["state"]["client_ip"]``. A request with two ``Host``
headers or one that is not ``host[:port]`` (security.host_header), or whose host
is not allowed, is answered 400 here, before any other work; ``ALLOWED_HOSTS=*``
waives the allow-list, never the shape.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from faceless.problems import problem_response
from faceless.security import request_state
from faceless.security.host_header import HostHeaderError, parse_host, request_host
from faceless.security.proxy import ProxyPolicy, resolve_client
from faceless.security.request_state import set_client_ip


def _allowed_host(entry: str) -> str:
    # The same normal form request_host gives (IPv6 compressed, lower case); an entry
    # that is no host at all could never match, so it is kept only to fail the lookup.
    bare = entry.strip().strip("[]")
    try:
        return parse_host(f"[{bare}]" if ":" in bare else bare)
    except HostHeaderError:
        return entry


class ProxyHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, policy: ProxyPolicy, allowed_hosts: list[str]) -> None:
        self.app = app
        self.policy = policy
        self.allow_any_host = "*" in allowed_hosts
        self.allowed_hosts = frozenset(_allowed_host(h) for h in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        forwarded_for: list[bytes] = []
        forwarded_proto = b""
        for name, value in scope["headers"]:
            if name == b"x-forwarded-for":
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
        refusal = self._refusal(scope)
        if refusal is not None:
            response = problem_response(400, refusal, request_id=request_state.request_id(scope))
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> str | None:
        try:
            host = request_host(scope["headers"])
        except HostHeaderError:
            return "The Host header must be given once, as host[:port]."
        if self.allow_any_host or (host is not None and host in self.allowed_hosts):
            return None
        return "The Host header is not allowed."
