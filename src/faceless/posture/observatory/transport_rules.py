"""The Observatory's transport tests: redirection, HSTS, cookies and CORS.

Translated from ``src/analyzer/tests/{redirection,strict-transport-security,cookies,
cors}.js`` of ``@mdn/mdn-http-observatory``, result names unchanged. Two of the
engine's quirks are kept on purpose, because its score is what we reproduce:

- The CORS test compares the answer's ``Access-Control-Allow-Origin`` with an
  ``Origin`` it reads from the axios request object, which carries none, so a server
  reflecting any origin with credentials is graded "restricted access" (no penalty).
  ``edge.cors`` is the check that catches reflection.
- Local names are on no HSTS preload list, and the list is not consulted.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from faceless.posture.observatory.outcome import Outcome
from faceless.posture.observatory.page import Retrieval

SIX_MONTHS = 15552000  # the engine's "white lie" for 15768000


def redirection_test(requests: Retrieval) -> Outcome:
    name, response = "redirection", requests.http
    if response is None:
        return Outcome(name, "redirection-not-needed-no-http", True)
    if not response.verified:
        return Outcome(name, "redirection-invalid-cert", False)
    route = [urlsplit(hop.url) for hop in requests.http_redirects]
    if len(route) <= 1:
        result = "redirection-missing"
    elif route[-1].scheme != "https":
        result = "redirection-not-to-https"
    elif route[1].scheme == "http":
        result = "redirection-not-to-https-on-initial-redirection"
    elif route[0].scheme == "http" and route[0].hostname != route[1].hostname:
        result = "redirection-off-host-from-http"
    else:
        result = "redirection-to-https"
    return Outcome(name, result, result == "redirection-to-https")


def hsts_test(requests: Retrieval) -> Outcome:
    name, response = "strict-transport-security", requests.https
    result = "hsts-not-implemented"
    if response is None:
        result = "hsts-not-implemented-no-https"
    elif not response.verified:
        result = "hsts-invalid-cert"
    elif response.all("strict-transport-security"):
        result = _hsts_header(response.all("strict-transport-security")[0][:1024])
    return Outcome(name, result, result == "hsts-implemented-max-age-at-least-six-months")


def _hsts_header(header: str) -> str:
    if "," in header:
        return "hsts-header-invalid"
    max_age: int | None = None
    for parameter in (part.strip().lower() for part in header.split(";")):
        if parameter.startswith("max-age="):
            max_age = _parse_int(parameter[8:128])
    if max_age is None:
        return "hsts-header-invalid"
    if max_age < SIX_MONTHS:
        return "hsts-implemented-max-age-less-than-six-months"
    return "hsts-implemented-max-age-at-least-six-months"


def _parse_int(text: str) -> int:
    """JavaScript's ``parseInt(text, 10)``; NaN (no leading digits) compares false with
    everything, so the engine grades it "at least six months": a huge value keeps that."""
    match = re.match(r"\s*([+-]?)(\d+)", text)
    return int(match.group(1) + match.group(2)) if match else 2**53


_COOKIE_ORDER = (
    "cookies-without-secure-flag-but-protected-by-hsts",
    "cookies-without-secure-flag",
    "cookies-session-without-secure-flag-but-protected-by-hsts",
    "cookies-samesite-flag-invalid",
    "cookies-anticsrf-without-samesite-flag",
    "cookies-session-without-httponly-flag",
    "cookies-session-without-secure-flag",
)


def _worse(new: str, old: str | None) -> str:
    if old is None or _COOKIE_ORDER.index(new) > _COOKIE_ORDER.index(old):
        return new
    return old


def cookies_test(requests: Retrieval) -> Outcome:
    name = "cookies"
    hsts = hsts_test(requests).passed
    result: str | None = None
    if requests.auto is not None:
        for raw in requests.auto.all("set-cookie"):
            if _invalid_same_site(raw):
                result = _worse("cookies-samesite-flag-invalid", result)
    cookies = [c for c in requests.cookies if c.key and c.key != "heroku-session-affinity"]
    if not cookies:
        result = "cookies-not-found"
    else:
        missing_same_site = False
        for cookie in cookies:
            key = cookie.key.lower()
            session = "login" in key or "sess" in key
            if not cookie.secure and cookie.same_site == "none":
                result = _worse("cookies-samesite-flag-invalid", result)
            if not cookie.secure:
                plain = "cookies-without-secure-flag"
                result = _worse(plain + "-but-protected-by-hsts" if hsts else plain, result)
            if "csrf" in key and not cookie.same_site:
                result = _worse("cookies-anticsrf-without-samesite-flag", result)
            if session and not cookie.secure:
                plain = "cookies-session-without-secure-flag"
                result = _worse(plain + "-but-protected-by-hsts" if hsts else plain, result)
            if session and not cookie.http_only:
                result = _worse("cookies-session-without-httponly-flag", result)
            missing_same_site = missing_same_site or not cookie.same_site
        if result is None:
            result = (
                "cookies-secure-with-httponly-sessions"
                if missing_same_site
                else "cookies-secure-with-httponly-sessions-and-samesite"
            )
    passing = (
        "cookies-not-found",
        "cookies-secure-with-httponly-sessions-and-samesite",
        "cookies-secure-with-httponly-sessions",
    )
    return Outcome(name, result, result in passing)


def _invalid_same_site(raw: str) -> bool:
    for part in raw.strip().split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "samesite":
            value = value.split("=")[0]
            if not value or value.strip().lower() not in ("lax", "strict", "none"):
                return True
    return False


def cors_test(requests: Retrieval) -> Outcome:
    name, response = "cross-origin-resource-sharing", requests.cors
    result = "cross-origin-resource-sharing-not-implemented"
    allow_origin = response.first("access-control-allow-origin") if response else None
    if response is not None and allow_origin:
        data = allow_origin[:256].strip().lower()
        # The engine's request Origin is always missing (see the module docstring).
        origin_seen: str | None = None
        credentials = response.first("access-control-allow-credentials")
        if data == "*":
            result = "cross-origin-resource-sharing-implemented-with-public-access"
        elif (
            origin_seen
            and origin_seen == allow_origin
            and credentials
            and credentials.lower().strip() == "true"
        ):
            result = "cross-origin-resource-sharing-implemented-with-universal-access"
        else:
            result = "cross-origin-resource-sharing-implemented-with-restricted-access"
    return Outcome(name, result, not result.endswith("universal-access"))
