"""What a TLS scan saw, as plain data: the rating and the checks read only this."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

VERSIONS = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3")


@dataclass(frozen=True, slots=True)
class Suite:
    version: str
    name: str  # IANA
    key_bits: int  # symmetric key size
    kx_bits: int | None  # ephemeral key size (EC curve or DH modulus); None: none seen

    @property
    def anonymous(self) -> bool:
        return "_anon_" in self.name or "_ANON_" in self.name

    @property
    def export(self) -> bool:
        return "EXPORT" in self.name

    @property
    def forward_secret(self) -> bool:
        return self.version == "TLS 1.3" or "_ECDHE_" in self.name or "_DHE_" in self.name

    @property
    def aead(self) -> bool:
        return self.version == "TLS 1.3" or any(
            mark in self.name for mark in ("_GCM_", "_CCM", "CHACHA20_POLY1305")
        )

    @property
    def finite_field_dh(self) -> bool:
        return "_DHE_" in self.name or "_DH_" in self.name


@dataclass(frozen=True, slots=True)
class CertificateFacts:
    key_type: str  # "ECDSA", "RSA", "Ed25519", ...
    key_detail: str  # curve name, or bits for RSA
    rsa_equivalent_bits: int
    names: tuple[str, ...]
    not_before: datetime
    not_after: datetime
    ocsp_urls: tuple[str, ...]
    must_staple: bool
    sha256: str

    @property
    def description(self) -> str:
        return f"{self.key_type} {self.key_detail}"


@dataclass(frozen=True, slots=True)
class TlsFacts:
    host: str
    port: int
    handshake_error: str | None = None  # set: no TLS at all on the target
    offered: frozenset[str] = frozenset()
    suites: tuple[Suite, ...] = ()
    groups: tuple[str, ...] = ()
    certificate: CertificateFacts | None = None
    trust_store: str = ""
    chain_error: str | None = None  # None: the chain verified (names aside)
    name_matches: bool = False
    ocsp_stapled: bool = False
    compression: bool | None = None
    secure_renegotiation: bool | None = None
    client_renegotiation: bool | None = None
    vulnerabilities: tuple[str, ...] = ()
    unknown: tuple[str, ...] = field(default=())  # scan commands that did not complete

    @property
    def has_tls(self) -> bool:
        return self.handshake_error is None


def rsa_equivalent(kind: str, bits: int) -> int:
    """Key strength in RSA-modulus bits (NIST SP 800-57): the scale SSL Labs grades on."""
    if kind in ("RSA", "DH"):
        return bits
    for ec_bits, rsa_bits in ((512, 15360), (384, 7680), (253, 3072), (224, 2048), (160, 1024)):
        if bits >= ec_bits:
            return rsa_bits
    return 512
