"""sslyze against the app: Mozilla intermediate (sslyze's bundled 5.7 and our 6.0), with a control.

sslyze's own CLI exits 0 even when the server is unreachable, so the checks go through
its Python API, and the deliberately weak listener must *fail* the same check: a gate
that never closes proves nothing. Both servers are scanned in one parallel run.
"""

from __future__ import annotations

import warnings
from datetime import timedelta

import pytest
from cryptography.utils import CryptographyDeprecationWarning
from sslyze import Scanner, ServerScanResult, ServerScanStatusEnum
from sslyze.mozilla_tls_profile.tls_config_checker import TlsConfigurationAsJson
from sslyze.plugins.certificate_info.trust_stores.trust_store_repository import (
    TrustStoresRepository,
)

from faceless.security.tls import policy
from tests.security.tls.conftest import Server
from tests.security.tls.helpers import LocalTlsServer
from tests.security.tls.sslyze_support import (
    mozilla_intermediate_profiles,
    mozilla_issues,
    scan_request,
)


@pytest.fixture(scope="module")
def scans(
    tls_server: Server, weak_server: LocalTlsServer
) -> tuple[ServerScanResult, ServerScanResult]:
    with warnings.catch_warnings():
        # One certificate in sslyze's bundled trust stores has a non-positive serial
        # number; cryptography warns on loading it. Load (and cache) the stores here.
        warnings.filterwarnings("ignore", "Parsed a serial number", CryptographyDeprecationWarning)
        TrustStoresRepository.get_default()
    ca = tls_server.tls.ca_cert
    scanner = Scanner()
    scanner.queue_scans([scan_request(tls_server.port, ca), scan_request(weak_server.port, ca)])
    by_port = {r.server_location.port: r for r in scanner.get_results()}
    app, weak = by_port[tls_server.port], by_port[weak_server.port]
    for result in (app, weak):
        assert result.scan_status == ServerScanStatusEnum.COMPLETED, result.connectivity_error_trace
    return app, weak


@pytest.mark.parametrize("profile", mozilla_intermediate_profiles())
def test_app_is_compliant_with_mozilla_intermediate(
    scans: tuple[ServerScanResult, ServerScanResult], profile: TlsConfigurationAsJson
) -> None:
    assert mozilla_issues(scans[0], profile) == {}


@pytest.mark.parametrize("profile", mozilla_intermediate_profiles())
def test_weak_listener_is_not(
    scans: tuple[ServerScanResult, ServerScanResult], profile: TlsConfigurationAsJson
) -> None:
    issues = mozilla_issues(scans[1], profile)
    assert {"tls_versions", "ciphers", "tls_curves"} <= issues.keys(), issues


def test_scan_results_meet_the_6_0_requirements_directly(
    scans: tuple[ServerScanResult, ServerScanResult],
) -> None:
    result = scans[0].scan_result
    assert result is not None
    supported = {
        name
        for name in ("ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1", "tls_1_2", "tls_1_3")
        if getattr(result, f"{name}_cipher_suites").result.is_tls_version_supported
    }
    assert supported == {"tls_1_2", "tls_1_3"}

    tls12 = result.tls_1_2_cipher_suites.result
    assert tls12 is not None
    accepted12 = {s.cipher_suite.name for s in tls12.accepted_cipher_suites}
    # ECDSA certificate: the three ECDSA suites of the six are the ones usable.
    assert accepted12 and accepted12 <= policy.TLS12_CIPHERS_IANA
    assert {s.cipher_suite.openssl_name for s in tls12.accepted_cipher_suites} == {
        c for c in policy.TLS12_CIPHERS if "ECDSA" in c
    }

    tls13 = result.tls_1_3_cipher_suites.result
    assert tls13 is not None
    assert {s.cipher_suite.name for s in tls13.accepted_cipher_suites} == set(
        policy.TLS13_CIPHERSUITES
    )

    curves = result.elliptic_curves.result
    assert curves is not None and curves.supported_curves is not None
    assert {c.name for c in curves.supported_curves} == policy.GROUPS_SECG

    compression = result.tls_compression.result
    assert compression is not None and not compression.supports_compression

    cert_info = result.certificate_info.result
    assert cert_info is not None
    (deployment,) = cert_info.certificate_deployments
    chain = deployment.received_certificate_chain
    assert len(chain) == 1, "the server must send the leaf only, never the root"
    leaf = chain[0]
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= timedelta(days=90)
    assert deployment.received_chain_contains_anchor_certificate is False
    assert deployment.verified_certificate_chain is not None  # via the custom CA file
