"""Who is acting, from where: carried from the request into services and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RequestContext:
    client_ip: str | None
    request_id: str | None
    # As the client sent it, cut to fit and without control characters (sessions show it).
    user_agent: str | None = None
