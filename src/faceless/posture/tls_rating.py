"""The TLS sub-grade, after the SSL Labs SSL Server Rating Guide.

Numerical score: protocol support 30 %, key exchange 30 %, cipher strength 40 %, each
the average of the best and the worst thing offered (key exchange: the weakest of the
certificate key and the ephemeral keys, in RSA-equivalent bits). Letter: A >= 80,
B >= 65, C >= 50, D >= 35, E >= 20, F below. Then the guide's caps: F for SSL 2.0,
export, anonymous or NULL suites, insecure renegotiation, Heartbleed, CCS injection,
ROBOT, or a key under 1024 bits; C for SSL 3.0, RC4, 64-bit block ciphers, TLS
compression, or neither TLS 1.2 nor 1.3; B for TLS 1.0/1.1, no forward secrecy, no
AEAD suite, or a key under 2048 bits. An untrusted (or expired) chain is "T", a name
mismatch "M". A+ is an uncapped A with TLS 1.3 and HSTS of at least 180 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from faceless.posture.tls_facts import TlsFacts, rsa_equivalent

HSTS_A_PLUS_SECONDS = 180 * 86400
_PROTOCOL_SCORES = {
    "SSL 2.0": 0,
    "SSL 3.0": 80,
    "TLS 1.0": 90,
    "TLS 1.1": 95,
    "TLS 1.2": 100,
    "TLS 1.3": 100,
}
_LETTERS = ((80, "A"), (65, "B"), (50, "C"), (35, "D"), (20, "E"))
_ORDER = "ABCDEF"


@dataclass(frozen=True, slots=True)
class TlsRating:
    grade: str
    score: int
    caps: tuple[tuple[str, str], ...]  # (cap, reason)


def _key_exchange_score(bits: int) -> int:
    for limit, score in ((512, 20), (1024, 40), (2048, 80), (4096, 90)):
        if bits < limit:
            return score
    return 100


def _cipher_score(bits: int) -> int:
    if bits == 0:
        return 0
    return 20 if bits < 128 else 80 if bits < 256 else 100


def numeric_score(facts: TlsFacts) -> int:
    protocols = [_PROTOCOL_SCORES[v] for v in facts.offered]
    protocol = (max(protocols) + min(protocols)) / 2 if protocols else 0
    cert_bits = facts.certificate.rsa_equivalent_bits if facts.certificate else 0
    kx_bits = [cert_bits]
    for suite in facts.suites:
        if suite.anonymous:
            kx_bits.append(0)
        elif suite.kx_bits is not None:
            kind = "DH" if suite.finite_field_dh else "EC"
            kx_bits.append(rsa_equivalent(kind, suite.kx_bits))
    key_exchange = _key_exchange_score(min(kx_bits))
    ciphers = [_cipher_score(s.key_bits) for s in facts.suites]
    cipher = (max(ciphers) + min(ciphers)) / 2 if ciphers else 0
    return round(0.3 * protocol + 0.3 * key_exchange + 0.4 * cipher)


def caps(facts: TlsFacts) -> list[tuple[str, str]]:
    suites, offered = facts.suites, facts.offered
    names = [s.name for s in suites]
    cert_bits = facts.certificate.rsa_equivalent_bits if facts.certificate else 0
    dh_bits = [s.kx_bits for s in suites if s.finite_field_dh and s.kx_bits is not None]
    rules = (
        ("F", "SSL 2.0 offered", "SSL 2.0" in offered),
        ("F", "export cipher suites", any(s.export for s in suites)),
        ("F", "anonymous cipher suites", any(s.anonymous for s in suites)),
        ("F", "NULL (unencrypted) cipher suites", any(s.key_bits == 0 for s in suites)),
        ("F", "insecure renegotiation", facts.secure_renegotiation is False),
        (
            "F",
            "known vulnerabilities: " + ", ".join(facts.vulnerabilities),
            bool(facts.vulnerabilities),
        ),
        ("F", "a key under 1024 bits", cert_bits < 1024 or any(b < 1024 for b in dh_bits)),
        ("C", "SSL 3.0 offered (POODLE)", "SSL 3.0" in offered),
        ("C", "RC4 cipher suites", any("_RC4_" in n for n in names)),
        ("C", "64-bit block ciphers (3DES)", any("3DES" in n or "DES_" in n for n in names)),
        ("C", "TLS compression (CRIME)", facts.compression is True),
        ("C", "neither TLS 1.2 nor TLS 1.3", not offered & {"TLS 1.2", "TLS 1.3"}),
        ("B", "TLS 1.0/1.1 offered", bool(offered & {"TLS 1.0", "TLS 1.1"})),
        ("B", "no forward secrecy", not any(s.forward_secret for s in suites)),
        ("B", "no AEAD cipher suite", not any(s.aead for s in suites)),
        ("B", "a key under 2048 bits", cert_bits < 2048 or any(b < 2048 for b in dh_bits)),
    )
    return [(cap, reason) for cap, reason, hit in rules if hit]


def rate(facts: TlsFacts, *, hsts_max_age: int | None) -> TlsRating:
    """The grade; ``hsts_max_age`` is what the HTTPS answer's HSTS header said, if any."""
    if not facts.has_tls or not facts.suites:
        return TlsRating("F", 0, (("F", "no TLS"),))
    score = numeric_score(facts)
    letter = next((grade for limit, grade in _LETTERS if score >= limit), "F")
    applied = tuple(caps(facts))
    for cap, _reason in applied:
        letter = max(letter, cap, key=_ORDER.index)
    certificate = facts.certificate
    expired = certificate is not None and not (
        certificate.not_before <= datetime.now(UTC) <= certificate.not_after
    )
    if facts.chain_error is not None or expired:
        return TlsRating("T", score, (*applied, ("T", "certificate not trusted")))
    if not facts.name_matches:
        return TlsRating("M", score, (*applied, ("M", "certificate name mismatch")))
    a_plus = (
        letter == "A"
        and not applied
        and "TLS 1.3" in facts.offered
        and (hsts_max_age or 0) >= HSTS_A_PLUS_SECONDS
    )
    return TlsRating("A+" if a_plus else letter, score, applied)
