"""Real handshakes against ``faceless serve``: versions, groups, cipher order, chain, tickets."""

from __future__ import annotations

import ssl
from pathlib import Path

import pytest

from faceless.security.tls import context, policy
from faceless.security.tls.certs import CertPaths, generate
from faceless.security.tls.context import native_groups_available
from tests.security.tls.conftest import Server
from tests.security.tls.helpers import LocalTlsServer, client_context, handshake, openssl_temp_key

LEGACY = [
    pytest.param(ssl.TLSVersion.TLSv1, id="TLSv1.0"),
    pytest.param(ssl.TLSVersion.TLSv1_1, id="TLSv1.1"),
]


@pytest.mark.parametrize("version", LEGACY)
def test_legacy_versions_refused_by_the_server(
    tls_server: Server, weak_server: LocalTlsServer, version: ssl.TLSVersion
) -> None:
    ctx = client_context(tls_server.tls.ca_cert, version=version)
    # Control: this very client does complete a handshake with a permissive server ...
    assert handshake(ctx, weak_server.port)[0] in ("TLSv1", "TLSv1.1")
    # ... so the refusal below is the app's doing.
    with pytest.raises(ssl.SSLError):
        handshake(ctx, tls_server.port)


@pytest.mark.parametrize(
    ("version", "name"),
    [(ssl.TLSVersion.TLSv1_2, "TLSv1.2"), (ssl.TLSVersion.TLSv1_3, "TLSv1.3")],
)
def test_current_versions_accepted(tls_server: Server, version: ssl.TLSVersion, name: str) -> None:
    negotiated, cipher, _ = handshake(
        client_context(tls_server.tls.ca_cert, version=version), tls_server.port
    )
    assert negotiated == name
    assert cipher in (*policy.TLS12_CIPHERS, *policy.TLS13_CIPHERSUITES)


@pytest.mark.parametrize("server_hostname", ["localhost", "127.0.0.1"])
def test_chain_verifies_against_the_generated_ca(tls_server: Server, server_hostname: str) -> None:
    ctx = client_context(tls_server.tls.ca_cert)
    assert ctx.check_hostname and ctx.verify_mode == ssl.CERT_REQUIRED
    handshake(ctx, tls_server.port, server_hostname=server_hostname)


def test_wrong_name_or_untrusted_ca_fails(tls_server: Server) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(
            client_context(tls_server.tls.ca_cert),
            tls_server.port,
            server_hostname="example.com",
        )
    with pytest.raises(ssl.SSLCertVerificationError):  # system CAs only: not trusted
        handshake(ssl.create_default_context(), tls_server.port)


def test_the_full_group_list_is_applied_on_this_platform() -> None:
    assert native_groups_available()


@pytest.mark.parametrize("group", policy.GROUPS)
def test_each_policy_group_is_accepted_tls13(tls_server: Server, group: str) -> None:
    ctx = client_context(tls_server.tls.ca_cert, version=ssl.TLSVersion.TLSv1_3, group=group)
    handshake(ctx, tls_server.port)


@pytest.mark.parametrize("group", ["X448", "secp521r1", "ffdhe2048"])
def test_groups_outside_the_policy_are_refused_tls13(
    tls_server: Server, weak_server: LocalTlsServer, group: str
) -> None:
    ctx = client_context(tls_server.tls.ca_cert, version=ssl.TLSVersion.TLSv1_3, group=group)
    handshake(ctx, weak_server.port)  # control: OpenSSL's default list takes it
    with pytest.raises(ssl.SSLError):
        handshake(ctx, tls_server.port)


@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        ("X25519:prime256v1", "X25519"),
        ("secp384r1:prime256v1", "secp384r1"),
        ("X448:secp521r1:prime256v1", "prime256v1"),
    ],
)
def test_tls12_group_choice(
    tls_server: Server, weak_server: LocalTlsServer, offered: str, expected: str
) -> None:
    # The client's order wins among shared groups, so a disallowed first choice shows.
    assert openssl_temp_key(tls_server.port, groups=offered) == expected
    if expected == "prime256v1":  # control: a default server takes the client's X448
        assert openssl_temp_key(weak_server.port, groups=offered) == "X448"


@pytest.mark.parametrize(
    "cbc", ["ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA256"]
)
def test_cbc_suites_refused(tls_server: Server, cbc: str) -> None:
    ctx = client_context(tls_server.tls.ca_cert, version=ssl.TLSVersion.TLSv1_2, ciphers=cbc)
    with pytest.raises(ssl.SSLError):
        handshake(ctx, tls_server.port)


@pytest.mark.parametrize(
    "first", ["ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES256-GCM-SHA384"]
)
def test_the_client_chooses_the_cipher(tls_server: Server, first: str) -> None:
    others = [c for c in policy.TLS12_CIPHERS if c != first and "ECDSA" in c]
    ctx = client_context(
        tls_server.tls.ca_cert,
        version=ssl.TLSVersion.TLSv1_2,
        ciphers=":".join([first, *others]),
    )
    assert handshake(ctx, tls_server.port)[1] == first


@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_no_session_tickets(tls_server: Server, version: ssl.TLSVersion) -> None:
    _, _, session = handshake(
        client_context(tls_server.tls.ca_cert, version=version), tls_server.port
    )
    assert session is None or not session.has_ticket


def test_fallback_without_native_access_narrows_never_widens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    paths = CertPaths(tmp_path)
    generate(paths)
    monkeypatch.setattr(context, "_libssl", lambda: None)
    server_ctx = context.build_server_context(paths.cert, paths.key)
    assert "offering only prime256v1" in caplog.text
    tls13 = ssl.TLSVersion.TLSv1_3
    with LocalTlsServer(server_ctx) as server:
        handshake(client_context(paths.ca_cert, version=tls13, group="prime256v1"), server.port)
        for group in ("X25519", "X448"):
            with pytest.raises(ssl.SSLError):
                handshake(client_context(paths.ca_cert, version=tls13, group=group), server.port)
