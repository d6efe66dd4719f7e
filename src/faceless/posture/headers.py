"""Header checks: the Observatory score, HSTS, and the legacy XSS auditor header."""

from __future__ import annotations

import re
from dataclasses import dataclass

from faceless.posture.model import CheckResult, Status
from faceless.posture.observatory import ObservatoryScan
from faceless.posture.observatory.page import Page
from faceless.posture.tls_rating import HSTS_A_PLUS_SECONDS
from faceless.posture.weights import WEIGHTS, failed, passed, result, warned

_MAX_AGE = re.compile(r"(?:^|;)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:;|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ObservatorySummary:
    score: int
    grade: str
    evidence: str


def summarize(scans: list[ObservatoryScan]) -> ObservatorySummary:
    """The lower of the graded paths; a path not served (an error status) is left out."""
    graded = [(s, s.score, s.grade) for s in scans if s.score is not None and s.grade]
    if not graded:
        statuses = ", ".join(f"{s.path} {s.status or 'no answer'}" for s in scans)
        return ObservatorySummary(0, "F", f"nothing the Observatory would grade ({statuses})")
    parts = []
    for scan, score, grade in graded:
        failures = ", ".join(f"{k}: {v}" for k, v in scan.failed().items())
        parts.append(f"{scan.path} {score} ({grade})" + (f" [{failures}]" if failures else ""))
    parts += [f"{s.path} not graded ({s.status or 'no answer'})" for s in scans if s.score is None]
    _, score, grade = min(graded, key=lambda entry: entry[1])
    return ObservatorySummary(score, grade, "; ".join(parts))


def observatory_check(summary: ObservatorySummary) -> CheckResult:
    weight = WEIGHTS["headers.observatory"]
    points = round(weight.points * min(max(summary.score, 0), 100) / 100)
    status = Status.PASS if summary.score >= 100 else Status.WARN if points else Status.FAIL
    return result(
        "headers.observatory",
        status,
        f"MDN Observatory {summary.score} ({summary.grade}): {summary.evidence}",
        points=points,
    )


def hsts_max_age(page: Page | None) -> int | None:
    header = page.first("strict-transport-security") if page else None
    match = _MAX_AGE.search(header or "")
    return int(match.group(1)) if match else None


def hsts_check(health: ObservatoryScan | None, *, https: bool) -> CheckResult:
    retrieval = health.retrieval if health else None
    secure = retrieval.https if retrieval else None
    plain = retrieval.auto if retrieval else None
    if not https or secure is None:
        sent = plain is not None and plain.first("strict-transport-security")
        reason = (
            "sent over plain HTTP only, where browsers ignore it (RFC 6797 section 8.1)"
            if sent
            else "not sent"
        )
        return failed("headers.hsts", f"no HTTPS answer: Strict-Transport-Security {reason}")
    header = secure.first("strict-transport-security")
    if not header:
        return failed("headers.hsts", f"no Strict-Transport-Security on {secure.url}")
    max_age = hsts_max_age(secure)
    if max_age is None or max_age == 0:
        return failed("headers.hsts", f"Strict-Transport-Security: {header} (HSTS off)")
    days = max_age // 86400
    if max_age < HSTS_A_PLUS_SECONDS:
        return warned("headers.hsts", f"Strict-Transport-Security: {header} ({days} days < 180)")
    return passed("headers.hsts", f"Strict-Transport-Security: {header} ({days} days)")


def xss_check(scans: list[ObservatoryScan]) -> CheckResult:
    values = {}
    for scan in scans:
        page = scan.retrieval.auto if scan.retrieval else None
        if page is not None:
            values[scan.path] = page.first("x-xss-protection")
    legacy = {path: v for path, v in values.items() if v is not None and v.strip() != "0"}
    if legacy:
        shown = "; ".join(f"{path}: X-XSS-Protection: {v}" for path, v in legacy.items())
        return failed(
            "headers.xss_protection",
            f"{shown} (the legacy XSS auditor: removed from browsers, exploitable where left)",
        )
    shown = ", ".join(f"{path}: {v or 'absent'}" for path, v in values.items())
    return passed("headers.xss_protection", f"X-XSS-Protection {shown or 'absent'}")
