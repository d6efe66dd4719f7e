"""The cookies an Observatory session keeps, parsed as ``tough-cookie`` parses them.

Only what the cookies test reads is kept (name, Secure, HttpOnly, SameSite); a cookie
whose Domain does not cover the answering host is refused, and a later cookie of the
same name and domain replaces an earlier one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from faceless.posture.observatory.page import Cookie

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def parse_set_cookie(raw: str) -> tuple[Cookie, str | None] | None:
    """The cookie and its Domain attribute, or None when tough-cookie would drop it."""
    pair, _, attributes = raw.strip().partition(";")
    name, eq, value = pair.partition("=")
    if not eq or not name.strip() or _CONTROL.search(name) or _CONTROL.search(value):
        return None
    secure = http_only = False
    same_site: str | None = None
    domain: str | None = None
    for attribute in attributes.split(";"):
        key, _, attr_value = attribute.strip().partition("=")
        key = key.strip().lower()
        if key == "secure":
            secure = True
        elif key == "httponly":
            http_only = True
        elif key == "samesite":
            lowered = attr_value.strip().lower()
            same_site = lowered if lowered in ("strict", "lax", "none") else None
        elif key == "domain" and attr_value.strip().lstrip("."):
            domain = attr_value.strip().lstrip(".").lower()
    return Cookie(name.strip(), secure, http_only, same_site), domain


@dataclass(slots=True)
class CookieJar:
    cookies: dict[tuple[str, str], Cookie] = field(default_factory=dict)

    def store(self, url: str, set_cookies: list[str]) -> None:
        host = (urlsplit(url).hostname or "").lower()
        for raw in set_cookies:
            parsed = parse_set_cookie(raw)
            if parsed is None:
                continue
            cookie, domain = parsed
            if domain is not None and host != domain and not host.endswith("." + domain):
                continue
            self.cookies[(cookie.key, domain or host)] = cookie

    def all(self) -> list[Cookie]:
        return list(self.cookies.values())
