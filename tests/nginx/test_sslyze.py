"""sslyze's Mozilla "intermediate" check against the project's nginx (bundled 5.7 and 6.0).

The 6.0 profile and the negative control (a weak listener that must fail the same check)
live with the app's own TLS tests in ``tests/security/tls/test_sslyze.py`` (shared pieces in
``tests/security/tls/sslyze_support.py``); this scans nginx.
"""

from __future__ import annotations

import pytest
from sslyze import Scanner, ServerScanResult, ServerScanStatusEnum
from sslyze.mozilla_tls_profile.tls_config_checker import TlsConfigurationAsJson

from faceless.security.tls import policy
from tests.nginx.conftest import Stack
from tests.security.tls.sslyze_support import (
    mozilla_intermediate_profiles,
    mozilla_issues,
    scan_request,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.postgres,
    # sslyze's bundled Mozilla trust store holds a certificate with a negative serial.
    pytest.mark.filterwarnings(
        "ignore:Parsed a serial number:cryptography.utils.CryptographyDeprecationWarning"
    ),
]


@pytest.fixture(scope="module")
def nginx_scan(nginx_stack: Stack) -> ServerScanResult:
    request = scan_request(nginx_stack.nginx.https_port, nginx_stack.certs.ca_cert)
    scanner = Scanner()
    scanner.queue_scans([request])
    (result,) = scanner.get_results()
    assert result.scan_status == ServerScanStatusEnum.COMPLETED, result.connectivity_error_trace
    return result


@pytest.mark.parametrize("profile", mozilla_intermediate_profiles())
def test_nginx_is_compliant_with_mozilla_intermediate(
    nginx_scan: ServerScanResult, profile: TlsConfigurationAsJson
) -> None:
    issues = mozilla_issues(nginx_scan, profile)
    if issues:
        pytest.fail(f"not compliant: {issues}")


def test_nginx_offers_exactly_the_policy(nginx_scan: ServerScanResult) -> None:
    result = nginx_scan.scan_result
    assert result is not None
    curves = result.elliptic_curves.result
    assert curves is not None and curves.supported_curves is not None
    assert {c.name for c in curves.supported_curves} == policy.GROUPS_SECG
    tls12 = result.tls_1_2_cipher_suites.result
    assert tls12 is not None
    assert {s.cipher_suite.openssl_name for s in tls12.accepted_cipher_suites} == {
        c for c in policy.TLS12_CIPHERS if "ECDSA" in c
    }
    for old in ("ssl_2_0", "ssl_3_0", "tls_1_0", "tls_1_1"):
        scan = getattr(result, f"{old}_cipher_suites").result
        assert scan is not None and not scan.is_tls_version_supported, old
    session = result.session_renegotiation.result
    assert session is not None and not session.is_vulnerable_to_client_renegotiation_dos
