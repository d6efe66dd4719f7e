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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509

from faceless.security.tls import TlsError
from faceless.security.tls.files import ensure_private_dir
from faceless.security.tls.inspection import CertificateInfo
from faceless.security.tls.issuing import (
    BACKDATE,
    CA_DAYS,
    LEAF_DAYS,
    KeyType,
    PrivateKey,
    issue_leaf,
    key_type_of,
    make_ca,
    new_key,
)
from faceless.security.tls.names import (
    DEFAULT_DNS_NAMES,
    DEFAULT_IP_NETWORKS,
    DEFAULT_IPS,
    IPAddress,
    Names,
)
from faceless.security.tls.pem import load_certificate, load_private_key, write_pair

# The CLI, the server and the tests import these from here, whichever module holds them.
__all__ = [
    "BACKDATE",
    "CA_DAYS",
    "DEFAULT_DNS_NAMES",
    "DEFAULT_IPS",
    "DEFAULT_IP_NETWORKS",
    "LEAF_DAYS",
    "RENEW_BEFORE_DAYS",
    "CertPaths",
    "CertificateInfo",
    "IPAddress",
    "KeyType",
    "Names",
    "PrivateKey",
    "ensure_dev_certificates",
    "generate",
    "issue_leaf",
    "load_certificate",
    "load_private_key",
    "make_ca",
    "new_key",
    "renew",
]

RENEW_BEFORE_DAYS = 30


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
    write_pair(paths.ca_cert, ca_cert, paths.ca_key, ca_key, force=True)
    write_pair(paths.cert, leaf, paths.key, leaf_key, force=True)


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
        key_type = key_type_of(load_private_key(paths.key))
    else:
        names = _names_from_ca(ca_cert)
        key_type = key_type_of(ca_key)
    leaf_key = new_key(key_type)
    leaf = issue_leaf(names, leaf_key, ca_cert=ca_cert, ca_key=ca_key, now=now)
    write_pair(paths.cert, leaf, paths.key, leaf_key, force=True)
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
