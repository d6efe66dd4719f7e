"""The Observatory's ``content-security-policy`` test (``src/analyzer/tests/csp.js``).

The first failing rule sets the result; later rules only record. As in the engine, the
directive sets are shared with the parsed policy, so removing ``'unsafe-inline'`` next
to a nonce (browsers ignore it then) changes what the later rules see.
"""

from __future__ import annotations

from faceless.posture.observatory.csp_parser import (
    DUPLICATE_WARNINGS_KEY,
    Csp,
    CspParseError,
    parse_csp,
    parse_csp_meta,
)
from faceless.posture.observatory.html import CSP
from faceless.posture.observatory.outcome import Outcome
from faceless.posture.observatory.page import Retrieval

NAME = "content-security-policy"
DANGEROUSLY_BROAD = frozenset(
    {"ftp:", "http:", "https:", "*", "http://*", "http://*.*", "https://*", "https://*.*"}
)
UNSAFE_INLINE = frozenset({"'unsafe-inline'", "data:"})
BROAD_OR_INLINE = DANGEROUSLY_BROAD | UNSAFE_INLINE
PASSIVE_DIRECTIVES = ("img-src", "media-src")
NONCES_HASHES = ("'sha256-", "'sha384-", "'sha512-", "'nonce-")

NO_UNSAFE = "csp-implemented-with-no-unsafe"
DEFAULT_NONE = "csp-implemented-with-no-unsafe-default-src-none"
UNSAFE_STYLE_ONLY = "csp-implemented-with-unsafe-inline-in-style-src-only"
INSECURE_PASSIVE = "csp-implemented-with-insecure-scheme-in-passive-content-only"
PASSING = (NO_UNSAFE, DEFAULT_NONE, UNSAFE_STYLE_ONLY, INSECURE_PASSIVE)


def _has_nonce_or_hash(sources: set[str]) -> bool:
    return any(source.startswith(NONCES_HASHES) for source in sources)


def _first(csp: Csp, *directives: str) -> set[str]:
    for directive in directives:
        if directive in csp:
            return csp[directive]
    return {"*"}


def csp_test(requests: Retrieval) -> Outcome:
    response = requests.auto
    if response is None or requests.session_url is None:
        return Outcome(NAME, "csp-not-implemented", False)
    http_policies = response.all(CSP)
    meta_policies = response.http_equiv.get(CSP, [])
    try:
        csp = parse_csp([*http_policies, *meta_policies])
    except CspParseError:
        return Outcome(NAME, "csp-header-invalid", False)
    try:
        header_only = parse_csp(http_policies)
    except CspParseError:
        header_only = {}
    try:
        meta = parse_csp_meta(meta_policies)
    except CspParseError:
        meta = {}
    if not header_only and not meta:
        report_only = response.first("content-security-policy-report-only")
        result = "csp-not-implemented-but-reporting-enabled" if report_only else None
        return Outcome(NAME, result or "csp-not-implemented", False)
    result = _grade(csp, https=requests.session_is_https)
    outcome = Outcome(NAME, result, result in PASSING)
    if outcome.passed and DUPLICATE_WARNINGS_KEY in csp:
        outcome.result = "csp-implemented-but-duplicate-directives"
    outcome.data = {k: sorted(v) for k, v in csp.items() if k != DUPLICATE_WARNINGS_KEY}
    return outcome


def _grade(csp: Csp, *, https: bool) -> str:
    result: str | None = None
    object_src = _first(csp, "object-src", "default-src")
    script_src = _first(csp, "script-src", "default-src")
    style_src = _first(csp, "style-src", "default-src")
    for sources in (script_src, style_src):
        if _has_nonce_or_hash(sources):
            sources.discard("'unsafe-inline'")
    if _has_nonce_or_hash(script_src) and "'strict-dynamic'" in script_src:
        for source in list(script_src):
            if source.startswith(tuple(DANGEROUSLY_BROAD)) or source in (
                "'self'",
                "'unsafe-inline'",
            ):
                script_src.discard(source)
    elif "'strict-dynamic'" in script_src:
        result = "csp-header-invalid"
    active = [
        source
        for directive, sources in csp.items()
        if directive not in PASSIVE_DIRECTIVES and directive != "script-src"
        for source in sources
    ]
    active += list(script_src)
    passive = [s for d in PASSIVE_DIRECTIVES for s in csp.get(d) or csp.get("default-src") or ()]
    findings = (
        (
            bool(script_src & BROAD_OR_INLINE) or bool(object_src & DANGEROUSLY_BROAD),
            "csp-implemented-with-unsafe-inline",
        ),
        (https and _insecure(active), "csp-implemented-with-insecure-scheme"),
        ("'unsafe-eval'" in script_src | style_src, "csp-implemented-with-unsafe-eval"),
        (https and _insecure(passive), INSECURE_PASSIVE),
        (bool(style_src & BROAD_OR_INLINE), UNSAFE_STYLE_ONLY),
    )
    for found, name in findings:
        if found and result is None:
            result = name
    if result is None:
        default_src = csp.get("default-src")
        result = DEFAULT_NONE if default_src == {"'none'"} else NO_UNSAFE
    return result


def _insecure(sources: list[str]) -> bool:
    return any(source.startswith(("http:", "ftp:")) for source in sources)
