"""Security response headers, computed once at start-up.

Current OWASP values: ``X-XSS-Protection: 0`` (the legacy auditor is a liability),
a CSP that allows nothing for JSON (the HTML docs page sets its own nonce-based
policy, which wins), no-referrer, a Permissions-Policy that turns off every
powerful feature, cross-origin isolation, and ``no-store`` so authenticated data
is never cached. HSTS is only ever sent over HTTPS.
"""

from __future__ import annotations

from dataclasses import dataclass

JSON_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

# OWASP Secure Headers project's recommended Permissions-Policy features, all disabled.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "cross-origin-isolated",
        "display-capture",
        "encrypted-media",
        "fullscreen",
        "geolocation",
        "gyroscope",
        "keyboard-map",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "picture-in-picture",
        "publickey-credentials-get",
        "screen-wake-lock",
        "sync-xhr",
        "usb",
        "web-share",
        "xr-spatial-tracking",
    )
)


@dataclass(frozen=True, slots=True)
class HeaderPolicy:
    """Raw (lower-case name, value) pairs for plain-HTTP and HTTPS responses."""

    common: tuple[tuple[bytes, bytes], ...]
    https_only: tuple[tuple[bytes, bytes], ...]

    def for_scheme(self, scheme: str) -> tuple[tuple[bytes, bytes], ...]:
        return self.common + self.https_only if scheme in ("https", "wss") else self.common

    def as_dict(self, *, https: bool) -> dict[str, str]:
        pairs = self.for_scheme("https" if https else "http")
        return {name.decode(): value.decode() for name, value in pairs}


def build_header_policy(
    *, hsts_max_age: int = 63072000, hsts_preload: bool = False, legacy_xss_filter: bool = False
) -> HeaderPolicy:
    if hsts_max_age < 0:
        raise ValueError("HSTS max-age must not be negative")
    hsts = f"max-age={hsts_max_age}; includeSubDomains" + ("; preload" if hsts_preload else "")
    common = {
        "x-frame-options": "DENY",
        "x-content-type-options": "nosniff",
        # "1; mode=block" only when an operator asks for it explicitly.
        "x-xss-protection": "1; mode=block" if legacy_xss_filter else "0",
        "content-security-policy": JSON_CSP,
        "referrer-policy": "no-referrer",
        "permissions-policy": PERMISSIONS_POLICY,
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-resource-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
        "cache-control": "no-store",
        "x-permitted-cross-domain-policies": "none",
    }
    return HeaderPolicy(
        common=tuple((k.encode(), v.encode()) for k, v in common.items()),
        https_only=((b"strict-transport-security", hsts.encode()),),
    )
