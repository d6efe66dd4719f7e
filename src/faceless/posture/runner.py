"""One measurement: TLS, the Observatory, the edge and auth probes, then the local checks.

The order matters in two places: the oversized-body probe goes before the login
attempts (a server that counts it against the login budget still answers the sixth
attempt with 429), and the checks over every answer (error documents, Server header)
go last.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from faceless.posture.auth import (
    docs_nonce_check,
    forged_tokens_check,
    login_attempts,
    login_generic_check,
    login_rate_limit_check,
    metrics_check,
)
from faceless.posture.edge import closing_checks, edge_checks
from faceless.posture.headers import (
    hsts_check,
    hsts_max_age,
    observatory_check,
    summarize,
    xss_check,
)
from faceless.posture.local import not_local
from faceless.posture.model import CheckResult
from faceless.posture.observatory import scan_path
from faceless.posture.probe import Probe
from faceless.posture.report import Report
from faceless.posture.target import Target, ensure_reachable
from faceless.posture.tls_checks import tls_checks
from faceless.posture.tls_facts import TlsFacts
from faceless.posture.tls_rating import rate
from faceless.posture.weights import WEIGHTS
from faceless.posture.wire import Wire

OBSERVED_PATHS = ("/health", "/docs")


@dataclass(frozen=True, slots=True)
class LocalInputs:
    """What ``--local`` learned on the server's host (see :mod:`faceless.posture.local`)."""

    results: list[CheckResult]
    metrics_allow: list[str] = field(default_factory=list)


def measure(target: Target, *, local: LocalInputs | None = None) -> Report:
    """Raises :class:`~faceless.posture.target.UnreachableError` when nothing answers."""
    ensure_reachable(target)
    started = time.monotonic()
    wire = Wire(target.hosts, ca_file=target.ca_file)
    # sslyze (and its own OpenSSL builds) is loaded by the command that scans, not by
    # every process that imports the CLI: an API server would carry ~40 MB for nothing.
    from faceless.posture.tls_scan import scan_tls

    facts = (
        scan_tls(target.host, target.port, ca_file=target.ca_file)
        if target.https
        else TlsFacts(target.host, target.port, handshake_error=f"{target.origin} is plain HTTP")
    )
    scans = [
        scan_path(
            wire,
            hostname=target.host,
            http_url=target.http_origin if target.https else target.origin,
            https_url=target.origin if target.https else None,
            path=path,
        )
        for path in OBSERVED_PATHS
    ]
    summary = summarize(scans)
    health = scans[0]
    secure_health = health.retrieval.https if health.retrieval else None
    rating = rate(facts, hsts_max_age=hsts_max_age(secure_health))
    checks = [
        *tls_checks(facts),
        observatory_check(summary),
        hsts_check(health, https=target.https),
        xss_check(scans),
    ]
    checks += _probes(Probe(target, wire), local)
    checks += local.results if local else not_local()
    order = list(WEIGHTS)
    checks.sort(key=lambda check: order.index(check.id))
    return Report(
        target.origin,
        tuple(checks),
        summary,
        rating,
        requests=wire.sent,
        seconds=time.monotonic() - started,
        tls_scanned=target.https,
    )


def _probes(probe: Probe, local: LocalInputs | None) -> list[CheckResult]:
    checks = edge_checks(probe)
    answers = login_attempts(probe)
    checks += [
        login_generic_check(answers),
        login_rate_limit_check(answers),
        forged_tokens_check(probe),
        metrics_check(probe, metrics_allow=local.metrics_allow if local else None),
        docs_nonce_check(probe),
    ]
    return checks + closing_checks(probe)
