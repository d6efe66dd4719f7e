"""Every check's weight, in one place (the README's table repeats it; a test compares them).

``points`` is what a pass earns; ``warn`` what a warning earns (a weaker but not broken
state, e.g. a Server header naming the software without its version). A skipped check
is left out of the points available. With every check applicable the total is 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from faceless.posture.model import Category, CheckResult, Status


@dataclass(frozen=True, slots=True)
class Weight:
    category: Category
    points: int
    warn: int
    title: str


_T, _H, _E, _A, _L = (
    Category.TLS,
    Category.HEADERS,
    Category.EDGE,
    Category.AUTH,
    Category.LOCAL,
)

WEIGHTS: Final[dict[str, Weight]] = {
    "tls.protocols": Weight(_T, 5, 0, "only TLS 1.2 and 1.3 offered"),
    "tls.ciphers": Weight(_T, 4, 0, "every accepted suite in Mozilla intermediate"),
    "tls.groups": Weight(_T, 2, 0, "key exchange groups X25519, P-256, P-384 only"),
    "tls.certificate_key": Weight(_T, 2, 1, "ECDSA P-256/P-384 or RSA >= 2048 bits"),
    "tls.chain": Weight(_T, 5, 0, "chain valid against --ca-file or the system store"),
    "tls.name": Weight(_T, 3, 0, "certificate names the host"),
    "tls.expiry": Weight(_T, 2, 1, "at least 30 days before expiry"),
    "tls.ocsp_stapling": Weight(_T, 1, 0, "OCSP response stapled (when the CA has OCSP)"),
    "tls.compression": Weight(_T, 2, 0, "no TLS compression (CRIME)"),
    "tls.renegotiation": Weight(_T, 2, 1, "no insecure or client-initiated renegotiation"),
    "tls.vulnerabilities": Weight(_T, 2, 0, "not vulnerable to Heartbleed, CCS, ROBOT"),
    "headers.observatory": Weight(_H, 16, 0, "MDN HTTP Observatory score (pro rata to 100)"),
    "headers.hsts": Weight(_H, 5, 2, "HSTS max-age >= 180 days over HTTPS"),
    "headers.xss_protection": Weight(_H, 4, 0, "no legacy X-XSS-Protection auditor"),
    "edge.redirect": Weight(_E, 4, 0, "plain HTTP redirects to HTTPS on the configured host"),
    "edge.foreign_host": Weight(_E, 2, 0, "a foreign Host is refused"),
    "edge.cors": Weight(_E, 3, 0, "CORS never reflects a foreign origin or * with credentials"),
    "edge.trace": Weight(_E, 1, 0, "TRACE refused"),
    "edge.body_limit": Weight(_E, 2, 0, "an oversized body gets 413"),
    "edge.error_documents": Weight(_E, 2, 0, "errors carry no stack trace, SQL, path, banner"),
    "edge.server_header": Weight(_E, 2, 1, "no Server software or version disclosed"),
    "edge.head_size": Weight(_E, 2, 0, "a 17 KiB request head is refused"),
    "edge.double_host": Weight(_E, 2, 0, "two Host headers are a 400"),
    "auth.login_generic": Weight(_A, 3, 0, "a failed login is a generic 401"),
    "auth.login_rate_limit": Weight(_A, 4, 2, "login is rate limited within its budget"),
    "auth.forged_tokens": Weight(_A, 4, 0, "alg:none and forged tokens refused, Bearer challenge"),
    "auth.metrics": Weight(_A, 2, 1, "/metrics is not public"),
    "auth.docs_nonce": Weight(_A, 2, 0, "the docs page's scripts are nonce-bound"),
    "local.secrets": Weight(_L, 3, 0, "secrets present, strong, not placeholders"),
    "local.file_modes": Weight(_L, 2, 0, "keys, certificates and var/ private"),
    "local.database": Weight(_L, 2, 0, "database hardening (faceless db verify)"),
    "local.audit_chain": Weight(_L, 2, 0, "the audit chain is intact"),
    "local.bounds": Weight(_L, 1, 0, "header, body and connection bounds set"),
}


def result(
    check_id: str, status: Status, evidence: str, *, points: int | None = None
) -> CheckResult:
    """The result of ``check_id``; its points follow from the status unless given."""
    weight = WEIGHTS[check_id]
    if points is None:
        points = {Status.PASS: weight.points, Status.WARN: weight.warn}.get(status, 0)
    points = max(0, min(points, weight.points))
    return CheckResult(check_id, weight.category, status, points, weight.points, evidence)


def passed(check_id: str, evidence: str) -> CheckResult:
    return result(check_id, Status.PASS, evidence)


def warned(check_id: str, evidence: str) -> CheckResult:
    return result(check_id, Status.WARN, evidence)


def failed(check_id: str, evidence: str) -> CheckResult:
    return result(check_id, Status.FAIL, evidence)


def skipped(check_id: str, evidence: str) -> CheckResult:
    return result(check_id, Status.SKIP, evidence)


def verdict(check_id: str, ok: bool, evidence: str) -> CheckResult:
    return passed(check_id, evidence) if ok else failed(check_id, evidence)
