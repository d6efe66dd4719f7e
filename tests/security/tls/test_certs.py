"""The development CA and leaf: what they say, what they permit, how their keys are kept."""

from __future__ import annotations

import ipaddress
import os
import ssl
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from typer.testing import CliRunner

from faceless.cli.main import app
from faceless.security.tls import TlsError
from faceless.security.tls.certs import (
    CertPaths,
    KeyType,
    Names,
    ensure_dev_certificates,
    generate,
    issue_leaf,
    load_certificate,
    load_private_key,
    new_key,
    renew,
)
from faceless.security.tls.context import build_server_context
from tests.security.tls.helpers import LocalTlsServer, client_context, handshake


@pytest.fixture
def paths(tmp_path: Path) -> CertPaths:
    return CertPaths(tmp_path / "tls")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _verify(ca: x509.Certificate, leaf: x509.Certificate, name: str) -> None:
    subject: x509.DNSName | x509.IPAddress
    try:
        subject = x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        subject = x509.DNSName(name)
    verifier = PolicyBuilder().store(Store([ca])).build_server_verifier(subject)
    verifier.verify(leaf, [])


def test_generate_writes_a_ca_and_a_leaf_with_private_keys(paths: CertPaths) -> None:
    generate(paths, names=["app.example.test", "10.0.0.7"])
    assert _mode(paths.directory) == 0o700
    assert _mode(paths.key) == 0o600
    assert _mode(paths.ca_key) == 0o600
    assert _mode(paths.cert) == 0o644

    leaf = load_certificate(paths.cert)
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == timedelta(days=90)
    public = leaf.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert public.curve.name == "secp256r1"
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost", "app.example.test"]
    assert san.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
        ipaddress.ip_address("10.0.0.7"),
    ]
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False

    ca = load_certificate(paths.ca_cert)
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints)
    assert constraints.critical
    assert constraints.value.permitted_subtrees == [
        x509.DNSName("localhost"),
        x509.DNSName("app.example.test"),
        x509.IPAddress(ipaddress.ip_network("127.0.0.0/8")),
        x509.IPAddress(ipaddress.ip_network("::1/128")),
        x509.IPAddress(ipaddress.ip_network("10.0.0.7/32")),
    ]
    for name in ("localhost", "app.example.test", "127.0.0.1", "::1", "10.0.0.7"):
        _verify(ca, leaf, name)


@pytest.mark.parametrize(
    ("name", "names"),
    [
        ("bank.example", Names(("bank.example",), ())),
        ("10.9.9.9", Names((), (ipaddress.ip_address("10.9.9.9"),))),
    ],
)
def test_the_ca_cannot_vouch_for_other_names(
    paths: CertPaths, tmp_path: Path, name: str, names: Names
) -> None:
    """Even with the CA key, a leaf for a name outside its constraints does not verify."""
    generate(paths)
    ca, ca_key = load_certificate(paths.ca_cert), load_private_key(paths.ca_key)
    key = new_key(KeyType.ECDSA)
    rogue = issue_leaf(names, key, ca_cert=ca, ca_key=ca_key, now=datetime.now(UTC))
    with pytest.raises(VerificationError):
        _verify(ca, rogue, name)
    # OpenSSL, under Python's ssl, applies the trust anchor's constraints as well.
    (tmp_path / "rogue.pem").write_bytes(rogue.public_bytes(Encoding.PEM))
    (tmp_path / "rogue-key.pem").write_bytes(
        key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "rogue.pem", tmp_path / "rogue-key.pem")
    with (
        LocalTlsServer(server_ctx) as server,
        pytest.raises(ssl.SSLCertVerificationError, match="permitted subtree violation"),
    ):
        handshake(client_context(paths.ca_cert), server.port, server_hostname=name)


def test_rsa_on_request(paths: CertPaths) -> None:
    generate(paths, key_type=KeyType.RSA)
    leaf_key = load_certificate(paths.cert).public_key()
    ca_key = load_certificate(paths.ca_cert).public_key()
    assert isinstance(leaf_key, rsa.RSAPublicKey) and leaf_key.key_size == 2048
    assert isinstance(ca_key, rsa.RSAPublicKey) and ca_key.key_size == 3072
    build_server_context(paths.cert, paths.key)


def test_existing_keys_are_not_replaced_without_force(paths: CertPaths) -> None:
    generate(paths)
    before = paths.key.read_bytes(), paths.ca_key.read_bytes()
    with pytest.raises(TlsError, match="--force"):
        generate(paths)
    assert (paths.key.read_bytes(), paths.ca_key.read_bytes()) == before
    generate(paths, force=True)
    assert paths.key.read_bytes() != before[0]
    assert paths.ca_key.read_bytes() != before[1]
    assert _mode(paths.key) == 0o600


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_key_others_can_read_is_refused(paths: CertPaths, mode: int) -> None:
    generate(paths)
    os.chmod(paths.key, mode)
    with pytest.raises(TlsError, match=f"mode {mode:04o}"):
        build_server_context(paths.cert, paths.key)
    with pytest.raises(TlsError, match="chmod 600"):
        load_private_key(paths.key)


def test_invalid_names_are_refused() -> None:
    for bad in ("exa mple.test", "-bad.test", "a" * 64 + ".test", "ünï.test", "x/y"):
        with pytest.raises(TlsError, match="not a host name"):
            Names.parse([bad])
    assert Names.parse(["*.Dev.Test.", "[::2]"]).dns == ("localhost", "*.dev.test")


def test_renew_only_when_under_30_days(paths: CertPaths) -> None:
    generate(paths)
    first = load_certificate(paths.cert)
    assert renew(paths) is False
    assert load_certificate(paths.cert) == first

    later = datetime.now(UTC) + timedelta(days=61)  # 29 days left
    assert renew(paths, now=later) is True
    renewed = load_certificate(paths.cert)
    assert renewed.serial_number != first.serial_number
    assert renewed.not_valid_after_utc > first.not_valid_after_utc
    assert Names.from_certificate(renewed) == Names.from_certificate(first)
    assert _mode(paths.key) == 0o600


def test_dev_certificates_on_first_run_and_renewal(paths: CertPaths) -> None:
    assert ensure_dev_certificates(paths, names=["box.test"]) is not None
    assert ensure_dev_certificates(paths) is None  # fresh: nothing to do
    paths.cert.unlink()
    paths.key.unlink()
    assert ensure_dev_certificates(paths) == "renewed the development certificate"
    names = Names.from_certificate(load_certificate(paths.cert))
    assert "box.test" in names.dns  # recovered from the CA's constraints
    build_server_context(paths.cert, paths.key)


def test_certs_cli(paths: CertPaths) -> None:
    runner = CliRunner()
    directory = ["--dir", str(paths.directory)]
    generated = runner.invoke(app, ["certs", "generate", "--name", "box.test", *directory])
    assert generated.exit_code == 0, generated.output
    assert generated.output.count("SHA-256") == 2 and "box.test" in generated.output
    assert f"--cacert {paths.ca_cert}" in generated.output

    again = runner.invoke(app, ["certs", "generate", *directory])
    assert again.exit_code == 1 and "--force" in again.stderr

    renewed = runner.invoke(app, ["certs", "renew", *directory])
    assert renewed.exit_code == 0 and "nothing to do" in renewed.output
    forced = runner.invoke(app, ["certs", "renew", "--force", *directory])
    assert forced.exit_code == 0 and "renewed" in forced.output

    shown = runner.invoke(app, ["certs", "show", *directory])
    assert shown.exit_code == 0 and "expires" in shown.output

    empty = runner.invoke(app, ["certs", "show", "--dir", str(paths.directory / "none")])
    assert empty.exit_code == 1
