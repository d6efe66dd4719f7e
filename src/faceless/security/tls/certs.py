"""Development certificates: a local CA and a leaf it signs, the way mkcert and trustme do.

A lone self-signed leaf would have to be trusted as is, and re-trusted on every renewal;
a CA is trusted once and signs short-lived leaves. Because a trusted CA key on disk can
sign for *any* name, ours is name-constrained (critical ``NameConstraints``) to exactly
what it issues: DNS ``localhost`` and the ``--name``s, IP ``127.0.0.0/8`` and ``::1``.
OpenSSL, NSS and Chrome apply a trust anchor's constraints, so a stolen dev CA key
cannot mint a certificate for someone else's bank. ``pathlen:0``: it signs leaves only.

- Keys: ECDSA P-256 by default (an RSA-4096 handshake costs the server two orders of
  magnitude more); RSA on request (2048-bit leaf, 3072-bit CA, which lives longer).
- Leaf: 90 days (Mozilla's recommended lifespan, what browsers are moving to), SANs,
  EKU serverAuth, not a CA; renewed when under 30 days are left.
- Files (``var/tls/``): ``ca.pem``, ``ca-key.pem``, ``cert.pem`` (leaf; the root is
  never sent: a client must already have it), ``key.pem``. Keys are 0600 in a 0700
  directory, never silently replaced (``--force``), refused on load if others can read them.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from faceless.security.tls import TlsError, policy
from faceless.security.tls.files import (
    PRIVATE_FILE_MODE,
    PUBLIC_FILE_MODE,
    check_private_file,
    ensure_private_dir,
    write_file,
)

LEAF_DAYS = policy.RECOMMENDED_CERTIFICATE_DAYS
RENEW_BEFORE_DAYS = 30
CA_DAYS = 10 * 365  # like mkcert: trusted once, and its constraints bound the damage
# A little backdating absorbs clock skew between this machine and its clients; the
# lifetime (not_after - not_before) stays exactly LEAF_DAYS.
BACKDATE = timedelta(minutes=5)

DEFAULT_DNS_NAMES = ("localhost",)
DEFAULT_IPS = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
# Loopback as a whole: the leaf names 127.0.0.1, but any 127/8 address is still local.
DEFAULT_IP_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))

_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?:\*\.)?(?:{_LABEL}\.)*{_LABEL}$")

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class KeyType(StrEnum):
    ECDSA = "ecdsa"
    RSA = "rsa"


@dataclass(frozen=True, slots=True)
class CertPaths:
    directory: Path

    @property
    def ca_cert(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.directory / "ca-key.pem"

    @property
    def cert(self) -> Path:
        return self.directory / "cert.pem"

    @property
    def key(self) -> Path:
        return self.directory / "key.pem"


@dataclass(frozen=True, slots=True)
class Names:
    """Subject alternative names, validated: DNS names (lower-case, ASCII) and IPs."""

    dns: tuple[str, ...]
    ips: tuple[IPAddress, ...]

    @classmethod
    def parse(cls, extra: Iterable[str] = ()) -> Names:
        dns = list(DEFAULT_DNS_NAMES)
        ips: list[IPAddress] = list(DEFAULT_IPS)
        for raw in extra:
            name = raw.strip().lower().rstrip(".")
            try:
                ip = ipaddress.ip_address(name.strip("[]"))
            except ValueError:
                if len(name) > 253 or not _HOSTNAME.match(name):
                    raise TlsError(f"--name {raw!r} is not a host name or IP address") from None
                if name not in dns:
                    dns.append(name)
            else:
                if ip not in ips:
                    ips.append(ip)
        return cls(tuple(dns), tuple(ips))

    def san(self) -> x509.SubjectAlternativeName:
        general: list[x509.GeneralName] = [x509.DNSName(n) for n in self.dns]
        general += [x509.IPAddress(ip) for ip in self.ips]
        return x509.SubjectAlternativeName(general)

    def constraints(self) -> x509.NameConstraints:
        # "*.example.test" is permitted by the subtree "example.test".
        domains = dict.fromkeys(n.removeprefix("*.") for n in self.dns)
        networks = list(DEFAULT_IP_NETWORKS)
        networks += [
            ipaddress.ip_network(ip)
            for ip in self.ips
            if not any(ip in net for net in DEFAULT_IP_NETWORKS)
        ]
        permitted: list[x509.GeneralName] = [x509.DNSName(d) for d in domains]
        permitted += [x509.IPAddress(net) for net in networks]
        return x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=None)

    @classmethod
    def from_certificate(cls, cert: x509.Certificate) -> Names:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        ips = [
            ip
            for ip in san.get_values_for_type(x509.IPAddress)
            if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address)
        ]
        return cls(tuple(san.get_values_for_type(x509.DNSName)), tuple(ips))


# -- keys and certificates ---------------------------------------------------------------


def new_key(key_type: KeyType, *, ca: bool = False) -> PrivateKey:
    if key_type is KeyType.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=3072 if ca else 2048)
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(names: Names, key: PrivateKey, *, now: datetime) -> x509.Certificate:
    # A random suffix tells several dev CAs apart in a trust store.
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "FacelessYouTube development"),
            x509.NameAttribute(
                NameOID.COMMON_NAME, f"FacelessYouTube development CA {secrets.token_hex(4)}"
            ),
        ]
    )
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - BACKDATE)
        .not_valid_after(now - BACKDATE + timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(names.constraints(), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def issue_leaf(
    names: Names,
    key: PrivateKey,
    *,
    ca_cert: x509.Certificate,
    ca_key: PrivateKey,
    now: datetime,
    days: int = LEAF_DAYS,
) -> x509.Certificate:
    not_before = now - BACKDATE
    not_after = not_before + timedelta(days=days)
    if not_after > ca_cert.not_valid_after_utc:
        raise TlsError(
            f"the CA expires on {ca_cert.not_valid_after_utc:%Y-%m-%d}, before the new "
            "certificate would: run `faceless certs generate --force` and trust the new CA"
        )
    public = key.public_key()
    ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "FacelessYouTube development"),
                    x509.NameAttribute(
                        NameOID.COMMON_NAME, names.dns[0] if names.dns else str(names.ips[0])
                    ),
                ]
            )
        )
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                # RSA key transport is not in the policy, but old clients check the bit.
                key_encipherment=isinstance(key, rsa.RSAPrivateKey),
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(names.san(), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )


# -- files -------------------------------------------------------------------------------


def load_certificate(path: Path) -> x509.Certificate:
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except FileNotFoundError:
        raise TlsError(f"certificate {path} does not exist") from None
    except ValueError:
        raise TlsError(f"{path} holds no PEM certificate") from None
    return certs[0]


def load_private_key(path: Path) -> PrivateKey:
    check_private_file(path)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as exc:
        raise TlsError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise TlsError(f"{path}: only ECDSA and RSA keys are supported")
    return key


def _key_type(key: PrivateKey) -> KeyType:
    return KeyType.RSA if isinstance(key, rsa.RSAPrivateKey) else KeyType.ECDSA


def _write_pair(
    cert_path: Path, cert: x509.Certificate, key_path: Path, key: PrivateKey, *, force: bool
) -> None:
    # Key first: a certificate on disk without its key is useless, the reverse is harmless.
    write_file(key_path, _pem_key(key), mode=PRIVATE_FILE_MODE, overwrite=force)
    write_file(cert_path, _pem_cert(cert), mode=PUBLIC_FILE_MODE, overwrite=True)


def generate(
    paths: CertPaths,
    *,
    names: Sequence[str] = (),
    key_type: KeyType = KeyType.ECDSA,
    force: bool = False,
    now: datetime | None = None,
) -> None:
    """A new CA and a leaf signed by it. Refuses to replace existing keys unless ``force``."""
    now = now or datetime.now(UTC)
    parsed = Names.parse(names)
    if not force:
        for existing in (paths.ca_key, paths.key):
            if existing.exists() or existing.is_symlink():
                raise TlsError(f"{existing} already exists; pass --force to replace it")
    ensure_private_dir(paths.directory)
    ca_key = new_key(key_type, ca=True)
    ca_cert = make_ca(parsed, ca_key, now=now)
    leaf_key = new_key(key_type)
    leaf = issue_leaf(parsed, leaf_key, ca_cert=ca_cert, ca_key=ca_key, now=now)
    _write_pair(paths.ca_cert, ca_cert, paths.ca_key, ca_key, force=True)
    _write_pair(paths.cert, leaf, paths.key, leaf_key, force=True)


def _names_from_ca(ca_cert: x509.Certificate) -> Names:
    """The names a leaf gets when the old leaf is gone: what the CA's constraints permit."""
    constraints = ca_cert.extensions.get_extension_for_class(x509.NameConstraints).value
    subtrees = constraints.permitted_subtrees or []
    extra = [n.value for n in subtrees if isinstance(n, x509.DNSName)]
    extra += [
        str(n.value.network_address)
        for n in subtrees
        if isinstance(n, x509.IPAddress)
        and isinstance(n.value, ipaddress.IPv4Network | ipaddress.IPv6Network)
        and n.value.num_addresses == 1
    ]
    return Names.parse(extra)


def renew(paths: CertPaths, *, force: bool = False, now: datetime | None = None) -> bool:
    """Re-issue the leaf (new key, same names) when under 30 days are left. True if renewed."""
    now = now or datetime.now(UTC)
    ca_cert = load_certificate(paths.ca_cert)
    ca_key = load_private_key(paths.ca_key)
    if paths.cert.exists() and paths.key.exists():
        leaf = load_certificate(paths.cert)
        if not force and leaf.not_valid_after_utc - now >= timedelta(days=RENEW_BEFORE_DAYS):
            return False
        names = Names.from_certificate(leaf)
        key_type = _key_type(load_private_key(paths.key))
    else:
        names = _names_from_ca(ca_cert)
        key_type = _key_type(ca_key)
    leaf_key = new_key(key_type)
    leaf = issue_leaf(names, leaf_key, ca_cert=ca_cert, ca_key=ca_key, now=now)
    _write_pair(paths.cert, leaf, paths.key, leaf_key, force=True)
    return True


def ensure_dev_certificates(
    paths: CertPaths, *, names: Sequence[str] = (), now: datetime | None = None
) -> str | None:
    """First run in development: create or renew what is missing. Says what it did."""
    now = now or datetime.now(UTC)
    has_ca = paths.ca_cert.exists() and paths.ca_key.exists()
    if not has_ca and not paths.key.exists():
        generate(paths, names=names, now=now)
        return "generated a development CA and certificate"
    if has_ca and renew(paths, now=now):
        return "renewed the development certificate"
    return None


# -- describing --------------------------------------------------------------------------


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
