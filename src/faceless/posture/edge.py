"""Edge checks: what the listener does with hostile or malformed requests.

Each probe is one request; what a check concludes is written next to what was sent
and what came back. The head-size and double-``Host`` probes send what no client
library would, which is why :mod:`faceless.posture.wire` writes requests by hand.
"""

from __future__ import annotations

import re
import secrets

from faceless.posture.edge_redirect import redirect_check
from faceless.posture.model import CheckResult
from faceless.posture.probe import FOREIGN_HOST, FOREIGN_ORIGIN, Probe, describe, random_name
from faceless.posture.weights import failed, passed, verdict, warned
from faceless.posture.wire import Response

HEAD_PADDING = 17 * 1024
DECLARED_BODY = 64 * 1024 * 1024
LOGIN_PATH = "/api/v1/auth/login"

# What an error document must never carry, by kind (keywords in capitals, as SQL and
# product names are written, so ordinary words in an error message do not match).
_SQL = r"\b(?:SELECT|INSERT|UPDATE|DELETE)\b[^\n]{1,80}\b(?:FROM|INTO|SET|WHERE)\b"
_DRIVERS = r"(?i:sqlalchemy|psycopg|asyncpg|sqlite3\.)"
_BANNERS = (
    r"Werkzeug|Django|Starlette|FastAPI|[Uu]vicorn|[Gg]unicorn|Jetty|Tomcat|Apache/\d|nginx/\d"
)
LEAKS = (
    ("a stack trace", re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")),
    ("SQL", re.compile(f"{_SQL}|{_DRIVERS}")),
    (
        "a file path",
        re.compile(r"/home/|/usr/(?:local/)?lib/|/site-packages/|/var/www/|[A-Z]:\\"),
    ),
    ("a framework banner", re.compile(rf"\b(?:{_BANNERS})\b")),
)


def edge_checks(probe: Probe) -> list[CheckResult]:
    return [
        redirect_check(probe),
        foreign_host_check(probe),
        cors_check(probe),
        trace_check(probe),
        body_limit_check(probe),
        head_size_check(probe),
        double_host_check(probe),
    ]


def closing_checks(probe: Probe) -> list[CheckResult]:
    """The checks over every answer of the run: call them after all other probes."""
    return [error_documents_check(probe), server_header_check(probe)]


def foreign_host_check(probe: Probe) -> CheckResult:
    answer = probe.send("/health", host_header=False, headers=[("Host", FOREIGN_HOST)])
    refused = isinstance(answer, str) or 400 <= answer.status < 500
    return verdict(
        "edge.foreign_host", refused, f"GET /health with Host: {FOREIGN_HOST}: {describe(answer)}"
    )


def _cors_finding(answer: Response | str, origin: str) -> str | None:
    if isinstance(answer, str):
        return None
    allowed = answer.first("access-control-allow-origin")
    credentials = (answer.first("access-control-allow-credentials") or "").strip().lower()
    if allowed is not None and allowed.strip() == origin:
        return f"reflects Origin: {origin}" + (" with credentials" if credentials == "true" else "")
    if allowed is not None and allowed.strip() == "*" and credentials == "true":
        return "answers * with credentials"
    return None


def cors_check(probe: Probe) -> CheckResult:
    preflight_headers = [
        ("Access-Control-Request-Method", "GET"),
        ("Access-Control-Request-Headers", "authorization"),
    ]
    attempts: tuple[tuple[str, str, str, list[tuple[str, str]]], ...] = (
        ("OPTIONS /api/v1/videos", "OPTIONS", FOREIGN_ORIGIN, preflight_headers),
        ("GET /health", "GET", FOREIGN_ORIGIN, []),
        ("OPTIONS /api/v1/videos from Origin: null", "OPTIONS", "null", preflight_headers),
    )
    findings, seen = [], []
    path_of = {"OPTIONS": "/api/v1/videos", "GET": "/health"}
    for label, method, origin, extra in attempts:
        answer = probe.send(path_of[method], method, headers=[("Origin", origin), *extra])
        allowed = None if isinstance(answer, str) else answer.first("access-control-allow-origin")
        seen.append(
            f"{label}: {describe(answer)}, Access-Control-Allow-Origin {allowed or 'absent'}"
        )
        if (finding := _cors_finding(answer, origin)) is not None:
            findings.append(f"{label} {finding}")
    if findings:
        return failed("edge.cors", "; ".join(findings))
    return passed("edge.cors", f"Origin {FOREIGN_ORIGIN} and null not allowed: " + "; ".join(seen))


def trace_check(probe: Probe) -> CheckResult:
    marker = secrets.token_hex(8)
    answer = probe.send("/health", "TRACE", headers=[("X-Posture-Trace", marker)])
    echoed = isinstance(answer, Response) and marker in answer.text
    refused = isinstance(answer, str) or (answer.status >= 400 and not echoed)
    detail = " and echoed the request" if echoed else ""
    return verdict("edge.trace", refused, f"TRACE /health: {describe(answer)}{detail}")


def body_limit_check(probe: Probe) -> CheckResult:
    answer = probe.send(
        LOGIN_PATH,
        "POST",
        headers=[("Content-Type", "application/json"), ("Content-Length", str(DECLARED_BODY))],
        timeout=3.0,
    )
    declared = f"POST {LOGIN_PATH} declaring a {DECLARED_BODY // (1024 * 1024)} MiB body"
    if isinstance(answer, str):
        return failed("edge.body_limit", f"{declared}: {answer} (the server waits for the body)")
    return verdict("edge.body_limit", answer.status == 413, f"{declared}: {answer.status}")


def head_size_check(probe: Probe) -> CheckResult:
    padding = [("X-Posture-Padding", "a" * HEAD_PADDING)]
    answer = probe.send("/health", headers=padding)
    refused = isinstance(answer, str) or answer.status in (400, 413, 431, 494)
    return verdict(
        "edge.head_size", refused, f"GET /health with a 17 KiB header: {describe(answer)}"
    )


def double_host_check(probe: Probe) -> CheckResult:
    host = probe.target.origin.split("://", 1)[1]
    answer = probe.send(
        "/health", host_header=False, headers=[("Host", host), ("Host", FOREIGN_HOST)]
    )
    ok = isinstance(answer, Response) and answer.status == 400
    return verdict("edge.double_host", ok, f"GET /health with two Host headers: {describe(answer)}")


def error_documents_check(probe: Probe) -> CheckResult:
    probe.send("/" + random_name("posture-missing"))
    probe.send("/health", "PUT")
    probe.send("/api/v1/videos", "POST", headers=[("Content-Type", "application/json")], body=b"{")
    errors = [r for r in probe.seen if r.status >= 400]
    leaks = []
    for answer in errors:
        for kind, pattern in LEAKS:
            if match := pattern.search(answer.text):
                where = _path_of(answer.url)
                leaks.append(
                    f"{answer.status} for {where} carries {kind} ({match.group(0)[:40]!r})"
                )
    if leaks:
        return failed("edge.error_documents", "; ".join(leaks[:4]))
    statuses = ", ".join(sorted({str(r.status) for r in errors}))
    return passed("edge.error_documents", f"{len(errors)} error answers ({statuses}) carry none")


def _path_of(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return "/" + rest.split("/", 1)[1] if "/" in rest else "/"


def server_header_check(probe: Probe) -> CheckResult:
    values = sorted({v for r in probe.seen for v in r.all("server")})
    if not values:
        return passed("edge.server_header", f"no Server header in {len(probe.seen)} answers")
    shown = ", ".join(f"server: {v}" for v in values)
    if any(re.search(r"\d", v) for v in values):
        return failed("edge.server_header", f"discloses the server software and version: {shown}")
    return warned("edge.server_header", f"discloses the server software: {shown}")
