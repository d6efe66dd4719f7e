"""What a certificate file says, as ``faceless certs`` and ``faceless serve`` show it.

Split from :mod:`faceless.security.tls.certs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from faceless.security.tls.names import Names
from faceless.security.tls.pem import load_certificate


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    path: Path
    subject: str
    names: tuple[str, ...]
    key: str
    sha256: str
    not_after: datetime
    days_left: int

    @classmethod
    def of(cls, path: Path, *, now: datetime | None = None) -> CertificateInfo:
        cert = load_certificate(path)
        now = now or datetime.now(UTC)
        try:
            found = Names.from_certificate(cert)
            names = (*found.dns, *(str(ip) for ip in found.ips))
        except x509.ExtensionNotFound:
            names = ()
        public = cert.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            key = f"ECDSA {public.curve.name}"
        elif isinstance(public, rsa.RSAPublicKey):
            key = f"RSA {public.key_size}"
        else:
            key = type(public).__name__
        return cls(
            path=path,
            subject=cert.subject.rfc4514_string(),
            names=names,
            key=key,
            sha256=cert.fingerprint(hashes.SHA256()).hex(":").upper(),
            not_after=cert.not_valid_after_utc,
            days_left=(cert.not_valid_after_utc - now).days,
        )

    def lines(self) -> list[str]:
        out = [f"{self.path}", f"  subject  {self.subject}", f"  key      {self.key}"]
        if self.names:
            out.append(f"  names    {', '.join(self.names)}")
        out.append(f"  SHA-256  {self.sha256}")
        out.append(f"  expires  {self.not_after:%Y-%m-%d %H:%M} UTC ({self.days_left} days)")
        return out
