"""Certificates and keys as PEM files: loaded with checks, written key first.

Split from :mod:`faceless.security.tls.certs`; its module docstring gives the file
layout and modes.
"""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from faceless.security.tls import TlsError
from faceless.security.tls.files import (
    PRIVATE_FILE_MODE,
    PUBLIC_FILE_MODE,
    check_private_file,
    write_file,
)
from faceless.security.tls.issuing import PrivateKey


def _pem_key(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


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


def write_pair(
    cert_path: Path, cert: x509.Certificate, key_path: Path, key: PrivateKey, *, force: bool
) -> None:
    # Key first: a certificate on disk without its key is useless, the reverse is harmless.
    write_file(key_path, _pem_key(key), mode=PRIVATE_FILE_MODE, overwrite=force)
    write_file(cert_path, _pem_cert(cert), mode=PUBLIC_FILE_MODE, overwrite=True)
