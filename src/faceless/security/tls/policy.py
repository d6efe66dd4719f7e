"""Mozilla "intermediate" server-side TLS, guideline version 6.0, as constants.

https://ssl-config.mozilla.org/guidelines/6.0.json (``configurations.intermediate``).
One place for the numbers, so the app's own listener, its tests and the generated
nginx configuration cannot drift apart. Compared with 5.7 (the version sslyze bundles),
6.0 drops the finite-field DHE suites: TLS 1.2 is ECDHE with an AEAD cipher only.
"""

from __future__ import annotations

import ssl
from typing import Final

GUIDELINE_VERSION: Final = "6.0"

MINIMUM_VERSION: Final = ssl.TLSVersion.TLSv1_2
MAXIMUM_VERSION: Final = ssl.TLSVersion.TLSv1_3

# OpenSSL names, in the guideline's order (the client's order wins anyway, see below).
TLS12_CIPHERS: Final = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
)

# IANA names of the same six, as TLS scanners (sslyze) report them.
TLS12_CIPHERS_IANA: Final = frozenset(
    {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    }
)

# TLS 1.3 has only AEAD suites; the guideline allows these three.
TLS13_CIPHERSUITES: Final = (
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
)

# Key-exchange groups, exactly these: OpenSSL's own default list would add X448,
# P-521 and the finite-field groups. (prime256v1 = P-256 = secp256r1.)
GROUPS: Final = ("X25519", "prime256v1", "secp384r1")
GROUPS_SECG: Final = frozenset({"X25519", "secp256r1", "secp384r1"})

# The guideline lets the client pick the cipher: every allowed suite is strong, and
# clients without AES hardware (phones) know best that ChaCha20 is faster for them.
SERVER_PREFERRED_ORDER: Final = False

# Certificates: ECDSA on P-256/P-384 or RSA >= 2048; we issue for the guideline's
# *recommended* lifespan (90 days), not its longer maximum.
CERTIFICATE_CURVES: Final = frozenset({"secp256r1", "secp384r1"})
RSA_MIN_BITS: Final = 2048
RECOMMENDED_CERTIFICATE_DAYS: Final = 90

HSTS_MIN_AGE: Final = 63072000
