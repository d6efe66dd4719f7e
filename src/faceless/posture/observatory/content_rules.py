"""The Observatory's content tests: Referrer-Policy, SRI, X-Content-Type-Options,
X-Frame-Options and Cross-Origin-Resource-Policy.

Translated from ``src/analyzer/tests/*.js`` of ``@mdn/mdn-http-observatory``, result
names unchanged. For a script loaded by full URL the engine compares registrable
domains with the Public Suffix List (``tldts``); here the last two labels stand in for
it, which differs only for hosts under multi-label suffixes such as ``co.uk``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from faceless.posture.observatory.csp_rule import csp_test
from faceless.posture.observatory.html import REFERRER_POLICY, scripts
from faceless.posture.observatory.outcome import Outcome
from faceless.posture.observatory.page import Retrieval

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_PRIVATE_REFERRERS = (
    "no-referrer",
    "same-origin",
    "strict-origin",
    "strict-origin-when-cross-origin",
)
_UNSAFE_REFERRERS = (
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
    "no-referrer-when-downgrade",
)


def referrer_policy_test(requests: Retrieval) -> Outcome:
    name, response = "referrer-policy", requests.auto
    if response is None:
        return Outcome(name, "referrer-policy-not-implemented", False)
    values = [*response.all(REFERRER_POLICY), *response.http_equiv.get(REFERRER_POLICY, [])]
    if not values:
        return Outcome(name, "referrer-policy-not-implemented", True)
    valid = _PRIVATE_REFERRERS + _UNSAFE_REFERRERS
    known = [v.lower().strip() for v in ", ".join(values).split(",") if v.lower().strip() in valid]
    policy = known[-1] if known else ""
    if policy in _PRIVATE_REFERRERS:
        result = "referrer-policy-private"
    elif policy in _UNSAFE_REFERRERS:
        result = "referrer-policy-unsafe"
    else:
        result = "referrer-policy-header-invalid"
    return Outcome(name, result, result == "referrer-policy-private")


def _domain(host: str | None) -> str | None:
    labels = [label for label in (host or "").split(".") if label]
    if len(labels) < 2 or all(label.isdigit() for label in labels):
        return None
    return ".".join(labels[-2:]).lower()


_SRI_ORDER = (
    "sri-implemented-and-all-scripts-loaded-securely",
    "sri-implemented-and-external-scripts-loaded-securely",
    "sri-implemented-but-external-scripts-not-loaded-securely",
    "sri-not-implemented-but-external-scripts-loaded-securely",
    "sri-not-implemented-and-external-scripts-not-loaded-securely",
    "sri-not-implemented-response-not-html",
)


def _worse(new: str, old: str | None) -> str:
    if old is None or _SRI_ORDER.index(new) > _SRI_ORDER.index(old):
        return new
    return old


def sri_test(requests: Retrieval) -> Outcome:
    name, response = "subresource-integrity", requests.auto
    if response is None:
        return Outcome(name, "sri-not-implemented-but-no-scripts-loaded", False)
    mime = (response.first("content-type") or "").split(";")[0]
    if mime not in HTML_TYPES:
        result: str | None = "sri-not-implemented-response-not-html"
    else:
        result = _sri_of_page(requests, response.text)
    passing = (
        "sri-implemented-and-all-scripts-loaded-securely",
        "sri-implemented-and-external-scripts-loaded-securely",
        "sri-not-implemented-response-not-html",
        "sri-not-implemented-but-all-scripts-loaded-from-secure-origin",
        "sri-not-implemented-but-no-scripts-loaded",
    )
    assert result is not None
    return Outcome(name, result, result in passing)


def _sri_of_page(requests: Retrieval, html: str) -> str:
    result: str | None = None
    foreign = False
    found = scripts(html)
    for script in (s for s in found if s.src):
        relative_protocol = bool(re.match(r"^//[^/]", script.src))
        full_url = bool(re.match(r"^https?://", script.src))
        relative_origin = not relative_protocol and not full_url
        same_domain = relative_protocol or relative_origin
        if full_url:
            same_domain = _domain(urlsplit(script.src).hostname) == _domain(requests.hostname)
        secure_origin = relative_origin or (same_domain and not relative_protocol)
        foreign = foreign or not secure_origin
        scheme = None if relative_protocol or relative_origin else urlsplit(script.src).scheme
        secure_scheme = scheme == "https" or (relative_origin and requests.session_is_https)
        if not secure_origin:
            if script.integrity and not secure_scheme:
                result = _worse("sri-implemented-but-external-scripts-not-loaded-securely", result)
            elif not script.integrity and secure_scheme:
                result = _worse("sri-not-implemented-but-external-scripts-loaded-securely", result)
            elif not script.integrity:
                bad = "sri-not-implemented-and-external-scripts-not-loaded-securely"
                result = _worse(bad, result)
        elif script.integrity and secure_scheme and result is None:
            result = "sri-implemented-and-all-scripts-loaded-securely"
    if not found:
        return "sri-not-implemented-but-no-scripts-loaded"
    if result is None:
        result = (
            "sri-implemented-and-external-scripts-loaded-securely"
            if foreign
            else "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
        )
    return result


def x_content_type_options_test(requests: Retrieval) -> Outcome:
    name, response = "x-content-type-options", requests.auto
    header = response.first("x-content-type-options") if response else None
    if header and header[:256].strip().lower() == "nosniff":
        return Outcome(name, "x-content-type-options-nosniff", True)
    if header:
        return Outcome(name, "x-content-type-options-header-invalid", False)
    return Outcome(name, "x-content-type-options-not-implemented", False)


def x_frame_options_test(requests: Retrieval) -> Outcome:
    name, response = "x-frame-options", requests.auto
    if response is None:
        return Outcome(name, "x-frame-options-not-implemented", False)
    header = response.first("x-frame-options")
    if header:
        xfo = header[:1024].strip().lower()
        if xfo in ("deny", "sameorigin"):
            result = "x-frame-options-sameorigin-or-deny"
        elif xfo.startswith("allow-from"):
            result = "x-frame-options-allow-from-origin"
        else:
            result = "x-frame-options-header-invalid"
    else:
        result = "x-frame-options-not-implemented"
    if csp_test(requests).data.get("frame-ancestors"):
        result = "x-frame-options-implemented-via-csp"
    return Outcome(name, result, not result.endswith(("not-implemented", "header-invalid")))


def corp_test(requests: Retrieval) -> Outcome:
    name, response = "cross-origin-resource-policy", requests.auto
    result = "corp-not-implemented"
    header = response.first("cross-origin-resource-policy") if response else None
    if header:
        policy = header[:256].strip().lower()
        result = {
            "same-site": "corp-implemented-with-same-site",
            "same-origin": "corp-implemented-with-same-origin",
            "cross-origin": "corp-implemented-with-cross-origin",
        }.get(policy, "corp-header-invalid")
    return Outcome(name, result, not result.endswith("header-invalid"))
