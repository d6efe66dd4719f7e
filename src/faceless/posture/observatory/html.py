"""What the Observatory reads from an HTML page: ``<meta>`` policies and ``<script>`` sources.

The engine parses with jsdom; the standard library's tolerant parser finds the same
elements in any page a browser would render. A script's ``src`` is the raw attribute
value, as jsdom's reflected ``src`` is when the document has no base URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

CSP = "content-security-policy"
REFERRER_POLICY = "referrer-policy"


@dataclass(frozen=True, slots=True)
class Script:
    src: str
    integrity: str | None
    nonce: str | None


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.metas: list[dict[str, str | None]] = []
        self.scripts: list[Script] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values: dict[str, str | None] = {}
        for name, value in attrs:
            values.setdefault(name.lower(), value if value is not None else "")
        if tag == "meta":
            self.metas.append(values)
        elif tag == "script":
            self.scripts.append(
                Script(values.get("src") or "", values.get("integrity"), values.get("nonce"))
            )

    handle_startendtag = handle_starttag


def _collect(html: str) -> _Collector:
    collector = _Collector()
    collector.feed(html)
    collector.close()
    return collector


def http_equiv(html: str) -> dict[str, list[str]]:
    """``<meta http-equiv="content-security-policy">`` contents, and ``<meta name="referrer">``."""
    found: dict[str, list[str]] = {CSP: []}
    for meta in _collect(html).metas:
        content = meta.get("content")
        if "http-equiv" in meta and "content" in meta:
            if content and (meta["http-equiv"] or "").lower().strip() == CSP:
                found[CSP].append(content)
        elif (meta.get("name") or "").lower().strip() == "referrer" and content:
            found[REFERRER_POLICY] = [content]
    return found


def scripts(html: str) -> list[Script]:
    return _collect(html).scripts
