"""Keys, the development CA and the leaves it signs, in memory; nothing here touches disk.

Split from :mod:`faceless.security.tls.certs`; its module docstring gives the key types,
lifetimes and extensions chosen, and why.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from enum import StrEnum

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from faceless.security.tls import TlsError, policy
from faceless.security.tls.names import Names

LEAF_DAYS = policy.RECOMMENDED_CERTIFICATE_DAYS
CA_DAYS = 10 * 365  # like mkcert: trusted once, and its constraints bound the damage
# A little backdating absorbs clock skew between this machine and its clients; the
# lifetime (not_after - not_before) stays exactly LEAF_DAYS.
BACKDATE = timedelta(minutes=5)

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class KeyType(StrEnum):
    ECDSA = "ecdsa"
    RSA = "rsa"


def new_key(key_type: KeyType, *, ca: bool = False) -> PrivateKey:
    if key_type is KeyType.RSA:
        return rsa.generate_private_key(public_exponent=65537, key_size=3072 if ca else 2048)
    return ec.generate_private_key(ec.SECP256R1())


def key_type_of(key: PrivateKey) -> KeyType:
    return KeyType.RSA if isinstance(key, rsa.RSAPrivateKey) else KeyType.ECDSA


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
