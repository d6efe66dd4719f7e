"""sslyze pieces shared by the app's and nginx's scans: the Mozilla 6.0 profile and requests.

Kept apart from ``tests/security/tls/helpers.py`` so that only the sslyze tests import sslyze.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sslyze import (
    CertificateInfoExtraArgument,
    ScanCommandsExtraArguments,
    ServerNetworkLocation,
    ServerScanRequest,
    ServerScanResult,
)
from sslyze.mozilla_tls_profile.tls_config_checker import (
    SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
    MozillaTlsConfiguration,
    ServerNotCompliantWithTlsConfiguration,
    TlsConfigurationAsJson,
    TlsConfigurationEnum,
    check_server_against_tls_configuration,
)

from faceless.security.tls import policy

_SIX = sorted(policy.TLS12_CIPHERS_IANA)

# https://ssl-config.mozilla.org/guidelines/6.0.json, configurations.intermediate, in the
# shape sslyze's checker reads. 6.0 drops the DHE suites (so no DH parameter size);
# the lifespan is held to the guideline's recommended 90 days, which is what we issue.
MOZILLA_6_0_INTERMEDIATE: dict[str, Any] = {
    "certificate_curves": ["prime256v1", "secp384r1"],
    "certificate_signatures": [
        "sha256WithRSAEncryption",
        "ecdsa-with-SHA256",
        "ecdsa-with-SHA384",
        "ecdsa-with-SHA512",
    ],
    "certificate_types": ["ecdsa", "rsa"],
    "ciphers": {
        "caddy": _SIX,
        "go": [c.removesuffix("_SHA256") if "CHACHA" in c else c for c in _SIX],
        "iana": _SIX,
        "openssl": list(policy.TLS12_CIPHERS),
    },
    "ciphersuites": list(policy.TLS13_CIPHERSUITES),
    "dh_param_size": None,
    "ecdh_param_size": 256,
    "hsts_min_age": policy.HSTS_MIN_AGE,
    "maximum_certificate_lifespan": policy.RECOMMENDED_CERTIFICATE_DAYS,
    "ocsp_staple": False,
    "recommended_certificate_lifespan": policy.RECOMMENDED_CERTIFICATE_DAYS,
    "rsa_key_size": policy.RSA_MIN_BITS,
    "server_preferred_order": False,
    "tls_curves": list(policy.GROUPS),
    "tls_versions": ["TLSv1.2", "TLSv1.3"],
}


def scan_request(port: int, ca_file: Path) -> ServerScanRequest:
    """What the Mozilla checker needs from ``localhost`` on 127.0.0.1:``port``."""
    return ServerScanRequest(
        server_location=ServerNetworkLocation("localhost", port, ip_address="127.0.0.1"),
        scan_commands=SCAN_COMMANDS_NEEDED_BY_MOZILLA_CHECKER,
        scan_commands_extra_arguments=ScanCommandsExtraArguments(
            certificate_info=CertificateInfoExtraArgument(custom_ca_file=ca_file)
        ),
    )


def mozilla_issues(result: ServerScanResult, config: TlsConfigurationAsJson) -> dict[str, str]:
    """The checker's complaints about ``result`` under ``config``; empty when compliant."""
    try:
        check_server_against_tls_configuration(result, config)
    except ServerNotCompliantWithTlsConfiguration as exc:
        return exc.issues
    return {}


def mozilla_intermediate_profiles() -> list[Any]:
    """sslyze's bundled intermediate (5.7) and ours (6.0), as pytest params."""
    return [
        pytest.param(
            MozillaTlsConfiguration.get(TlsConfigurationEnum.MOZILLA_INTERMEDIATE), id="5.7"
        ),
        pytest.param(TlsConfigurationAsJson(**MOZILLA_6_0_INTERMEDIATE), id="6.0"),
    ]
