"""The TLS checks, each with what the scan saw as its evidence."""

from __future__ import annotations

from datetime import UTC, datetime

from faceless.posture.model import CheckResult
from faceless.posture.tls_facts import VERSIONS, TlsFacts
from faceless.posture.weights import failed, passed, skipped, verdict, warned
from faceless.security.tls import policy

TLS_IDS = (
    "tls.protocols",
    "tls.ciphers",
    "tls.groups",
    "tls.certificate_key",
    "tls.chain",
    "tls.name",
    "tls.expiry",
    "tls.ocsp_stapling",
    "tls.compression",
    "tls.renegotiation",
    "tls.vulnerabilities",
)
EXPIRY_MARGIN_DAYS = 30
_ALLOWED_VERSIONS = frozenset({"TLS 1.2", "TLS 1.3"})


def tls_checks(facts: TlsFacts) -> list[CheckResult]:
    if not facts.has_tls:
        reason = f"no TLS on {facts.host}:{facts.port}: {facts.handshake_error}"
        return [failed(check_id, reason) for check_id in TLS_IDS]
    return [
        _protocols(facts),
        _ciphers(facts),
        _groups(facts),
        _certificate_key(facts),
        _chain(facts),
        _name(facts),
        _expiry(facts),
        _ocsp(facts),
        _compression(facts),
        _renegotiation(facts),
        _vulnerabilities(facts),
    ]


def _protocols(facts: TlsFacts) -> CheckResult:
    offered = [v for v in VERSIONS if v in facts.offered]
    refused = [v for v in VERSIONS if v not in facts.offered and v not in facts.unknown]
    evidence = f"offered: {', '.join(offered) or 'none'}; refused: {', '.join(refused) or 'none'}"
    if facts.unknown:
        evidence += f"; not determined: {', '.join(facts.unknown)}"
    legacy = [v for v in offered if v not in _ALLOWED_VERSIONS]
    ok = not legacy and bool(offered) and not facts.unknown
    return verdict(
        "tls.protocols", ok, (f"legacy {', '.join(legacy)} offered; " if legacy else "") + evidence
    )


def _ciphers(facts: TlsFacts) -> CheckResult:
    allowed = policy.TLS12_CIPHERS_IANA | set(policy.TLS13_CIPHERSUITES)
    outside = sorted({f"{s.name} ({s.version})" for s in facts.suites if s.name not in allowed})
    accepted = len({(s.version, s.name) for s in facts.suites})
    if outside:
        return failed("tls.ciphers", f"outside Mozilla intermediate: {', '.join(outside)}")
    return passed("tls.ciphers", f"all {accepted} accepted suites are Mozilla intermediate")


def _groups(facts: TlsFacts) -> CheckResult:
    extra = [g for g in facts.groups if g not in policy.GROUPS_SECG]
    dhe = sorted({s.kx_bits for s in facts.suites if s.finite_field_dh and s.kx_bits})
    evidence = f"groups: {', '.join(facts.groups) or 'none'}"
    if dhe:
        evidence += f"; finite-field DH of {', '.join(map(str, dhe))} bits"
    if extra or dhe:
        return failed("tls.groups", f"beyond X25519/P-256/P-384: {', '.join(extra)}; {evidence}")
    return passed("tls.groups", evidence)


def _certificate_key(facts: TlsFacts) -> CheckResult:
    cert = facts.certificate
    if cert is None:
        return failed("tls.certificate_key", "no certificate received")
    if cert.key_type == "ECDSA":
        ok = cert.key_detail in policy.CERTIFICATE_CURVES
    elif cert.key_type == "RSA":
        ok = cert.rsa_equivalent_bits >= policy.RSA_MIN_BITS
    else:
        return warned("tls.certificate_key", f"{cert.description}: not in Mozilla intermediate")
    return verdict("tls.certificate_key", ok, cert.description)


def _chain(facts: TlsFacts) -> CheckResult:
    if facts.chain_error is None:
        return passed("tls.chain", f"verified against {facts.trust_store}")
    return failed("tls.chain", f"not trusted by {facts.trust_store}: {facts.chain_error}")


def _name(facts: TlsFacts) -> CheckResult:
    names = ", ".join(facts.certificate.names) if facts.certificate else "none"
    if facts.name_matches:
        return passed("tls.name", f"{facts.host} in the certificate's names ({names})")
    return failed("tls.name", f"{facts.host} is not among the certificate's names ({names})")


def _expiry(facts: TlsFacts) -> CheckResult:
    cert = facts.certificate
    if cert is None:
        return failed("tls.expiry", "no certificate received")
    now = datetime.now(UTC)
    until = cert.not_after.date().isoformat()
    if not cert.not_before <= now <= cert.not_after:
        return failed("tls.expiry", f"not valid now (valid {cert.not_before.date()} to {until})")
    days = (cert.not_after - now).days
    if days < EXPIRY_MARGIN_DAYS:
        return warned("tls.expiry", f"expires in {days} days ({until})")
    return passed("tls.expiry", f"expires in {days} days ({until})")


def _ocsp(facts: TlsFacts) -> CheckResult:
    cert = facts.certificate
    if facts.ocsp_stapled:
        return passed("tls.ocsp_stapling", "an OCSP response is stapled")
    if cert is not None and cert.must_staple:
        return failed("tls.ocsp_stapling", "the certificate demands stapling (must-staple): none")
    if cert is not None and cert.ocsp_urls:
        return failed("tls.ocsp_stapling", f"no OCSP response stapled ({cert.ocsp_urls[0]})")
    return skipped(
        "tls.ocsp_stapling", "the certificate names no OCSP responder: nothing to staple"
    )


def _compression(facts: TlsFacts) -> CheckResult:
    if facts.compression is None:
        return failed("tls.compression", "could not be determined")
    return verdict(
        "tls.compression",
        not facts.compression,
        "TLS compression accepted" if facts.compression else "TLS compression refused",
    )


def _renegotiation(facts: TlsFacts) -> CheckResult:
    if facts.secure_renegotiation is False:
        return failed("tls.renegotiation", "no secure renegotiation (RFC 5746): insecure")
    if facts.client_renegotiation:
        return warned("tls.renegotiation", "client-initiated renegotiation accepted (a DoS lever)")
    if facts.secure_renegotiation is None:
        return failed("tls.renegotiation", "could not be determined")
    return passed("tls.renegotiation", "secure renegotiation; client-initiated refused")


def _vulnerabilities(facts: TlsFacts) -> CheckResult:
    if facts.vulnerabilities:
        return failed("tls.vulnerabilities", "vulnerable: " + ", ".join(facts.vulnerabilities))
    return passed("tls.vulnerabilities", "not vulnerable to Heartbleed, CCS injection, ROBOT")
