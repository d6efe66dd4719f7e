"""What the Observatory engine retrieved, in the shapes its tests read.

``Page`` is one axios response as the engine sees it: headers folded the way Node's
HTTP parser folds repeated fields (``set-cookie`` kept as a list, a handful of
single-valued fields keeping their first value, every other repeat joined with ", ").
``Retrieval`` mirrors the engine's ``Requests`` object.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Node's IncomingMessage drops repeats of these (the first value wins).
_FIRST_ONLY = frozenset(
    {
        "age",
        "authorization",
        "content-length",
        "content-type",
        "etag",
        "expires",
        "from",
        "host",
        "if-modified-since",
        "if-unmodified-since",
        "last-modified",
        "location",
        "max-forwards",
        "proxy-authorization",
        "referer",
        "retry-after",
        "server",
        "user-agent",
    }
)

NodeHeaders = dict[str, str | list[str]]


def node_headers(pairs: tuple[tuple[str, str], ...] | list[tuple[str, str]]) -> NodeHeaders:
    folded: NodeHeaders = {}
    for name, value in pairs:
        key = name.lower()
        current = folded.get(key)
        if key == "set-cookie":
            folded[key] = [*(current if isinstance(current, list) else []), value]
        elif current is None:
            folded[key] = value
        elif key not in _FIRST_ONLY and isinstance(current, str):
            folded[key] = current + ("; " if key == "cookie" else ", ") + value
    return folded


@dataclass(slots=True)
class Page:
    url: str
    status: int
    headers: NodeHeaders
    text: str
    verified: bool
    http_equiv: dict[str, list[str]] = field(default_factory=dict)

    def all(self, name: str) -> list[str]:
        """``getHttpHeaders``: every value of ``name`` (a list only for set-cookie)."""
        value = self.headers.get(name.lower())
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    def first(self, name: str) -> str | None:
        values = self.all(name)
        return values[0] if values else None


@dataclass(frozen=True, slots=True)
class Hop:
    url: str
    status: int | None  # None: a redirect elsewhere, recorded and not followed


@dataclass(frozen=True, slots=True)
class Cookie:
    key: str
    secure: bool
    http_only: bool
    same_site: str | None


@dataclass(slots=True)
class Retrieval:
    hostname: str
    session_url: str | None = None
    auto: Page | None = None
    http: Page | None = None
    https: Page | None = None
    http_redirects: list[Hop] = field(default_factory=list)
    cors: Page | None = None
    cors_origin_sent: str | None = None
    cookies: list[Cookie] = field(default_factory=list)

    @property
    def session_is_https(self) -> bool:
        return bool(self.session_url and self.session_url.startswith("https:"))
