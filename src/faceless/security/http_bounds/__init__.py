"""Bounded work per connection on every listener ``faceless serve`` runs (ADR 0012)."""

from faceless.security.http_bounds.bounds import (
    FD_RESERVE,
    ConnectionLedger,
    RequestBounds,
    open_file_limit,
)
from faceless.security.http_bounds.protocol import BoundedHttp, BoundedHttpToolsProtocol

__all__ = [
    "FD_RESERVE",
    "BoundedHttp",
    "BoundedHttpToolsProtocol",
    "ConnectionLedger",
    "RequestBounds",
    "open_file_limit",
]
