"""The SSL Labs rating rules, on scan results written out by hand.

The real scans (our server, the TLS 1.0 relay, a self-signed leaf) are measured in
``test_our_instance.py`` and ``test_weakened.py``; these cases pin each cap.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from faceless.posture.tls_facts import CertificateFacts, Suite, TlsFacts
from faceless.posture.tls_rating import HSTS_A_PLUS_SECONDS, numeric_score, rate

NOW = datetime.now(UTC)
CERT = CertificateFacts(
    key_type="ECDSA",
    key_detail="secp256r1",
    rsa_equivalent_bits=3072,
    names=("localhost",),
    not_before=NOW - timedelta(days=1),
    not_after=NOW + timedelta(days=89),
    ocsp_urls=(),
    must_staple=False,
    sha256="00",
)
MODERN = TlsFacts(
    "localhost",
    443,
    offered=frozenset({"TLS 1.2", "TLS 1.3"}),
    suites=(
        Suite("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 128, 253),
        Suite("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 256, 256),
        Suite("TLS 1.3", "TLS_AES_256_GCM_SHA384", 256, 253),
    ),
    groups=("X25519", "secp256r1"),
    certificate=CERT,
    name_matches=True,
    compression=False,
    secure_renegotiation=True,
    client_renegotiation=False,
)
CBC = Suite("TLS 1.0", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, 256)
TWO_YEARS = 63072000


def test_modern_server_is_a_plus_with_hsts_and_tls13() -> None:
    # protocol 100, key exchange 90 (P-256 ~ RSA 3072), cipher (80 + 100) / 2 = 90
    assert numeric_score(MODERN) == 93
    assert rate(MODERN, hsts_max_age=TWO_YEARS).grade == "A+"


@pytest.mark.parametrize(
    ("facts", "hsts"),
    [
        (MODERN, HSTS_A_PLUS_SECONDS - 1),
        (MODERN, None),
        (replace(MODERN, offered=frozenset({"TLS 1.2"})), TWO_YEARS),
    ],
)
def test_a_without_long_hsts_or_tls13(facts: TlsFacts, hsts: int | None) -> None:
    assert rate(facts, hsts_max_age=hsts).grade == "A"


@pytest.mark.parametrize(
    ("change", "grade", "reason"),
    [
        ({"offered": frozenset({"TLS 1.0", "TLS 1.2", "TLS 1.3"})}, "B", "TLS 1.0/1.1 offered"),
        (
            {"suites": (Suite("TLS 1.2", "TLS_RSA_WITH_AES_128_GCM_SHA256", 128, None),)},
            "B",
            "no forward secrecy",
        ),
        ({"suites": (replace(CBC, version="TLS 1.2"),)}, "B", "no AEAD cipher suite"),
        ({"offered": frozenset({"TLS 1.0"}), "suites": (CBC,)}, "C", "neither TLS 1.2 nor TLS 1.3"),
        ({"compression": True}, "C", "TLS compression (CRIME)"),
        ({"offered": frozenset({"SSL 3.0", "TLS 1.2"})}, "C", "SSL 3.0 offered (POODLE)"),
        ({"offered": frozenset({"SSL 2.0", "TLS 1.2"})}, "F", "SSL 2.0 offered"),
        ({"secure_renegotiation": False}, "F", "insecure renegotiation"),
        ({"vulnerabilities": ("Heartbleed (CVE-2014-0160)",)}, "F", "known vulnerabilities"),
        (
            {
                "suites": (
                    *MODERN.suites,
                    Suite("TLS 1.2", "TLS_RSA_EXPORT_WITH_RC4_40_MD5", 40, None),
                )
            },
            "F",
            "export cipher suites",
        ),
    ],
)
def test_caps(change: dict[str, object], grade: str, reason: str) -> None:
    rating = rate(replace(MODERN, **change), hsts_max_age=TWO_YEARS)  # type: ignore[arg-type]
    assert rating.grade == grade
    assert any(reason in text for _, text in rating.caps), rating.caps


def test_untrusted_chain_is_t_and_name_mismatch_is_m() -> None:
    assert rate(replace(MODERN, chain_error="self-signed"), hsts_max_age=TWO_YEARS).grade == "T"
    expired = replace(CERT, not_after=NOW - timedelta(days=1))
    assert rate(replace(MODERN, certificate=expired), hsts_max_age=TWO_YEARS).grade == "T"
    assert rate(replace(MODERN, name_matches=False), hsts_max_age=TWO_YEARS).grade == "M"


def test_no_tls_is_f() -> None:
    assert rate(TlsFacts("h", 80, handshake_error="plain HTTP"), hsts_max_age=None).grade == "F"


def test_weak_keys_cap_the_grade() -> None:
    rsa_1024 = replace(CERT, key_type="RSA", key_detail="1024 bits", rsa_equivalent_bits=1024)
    assert rate(replace(MODERN, certificate=rsa_1024), hsts_max_age=TWO_YEARS).grade == "B"
    rsa_512 = replace(rsa_1024, rsa_equivalent_bits=512)
    assert rate(replace(MODERN, certificate=rsa_512), hsts_max_age=TWO_YEARS).grade == "F"
