"""A TLS scan with sslyze, reduced to :class:`~faceless.posture.tls_facts.TlsFacts`.

sslyze does the handshakes (every protocol version and cipher suite it knows, the
key-exchange groups, compression, renegotiation, Heartbleed, CCS injection, ROBOT) and
fetches the certificate chain and any stapled OCSP response. The chain is then
verified here with ``cryptography`` against ``--ca-file`` or the system store, twice
when needed, so that an untrusted chain (grade T) and a name mismatch (grade M) are
told apart.
"""

from __future__ import annotations

import ipaddress
import ssl
import warnings
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import AuthorityInformationAccessOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError
from sslyze.plugins.certificate_info.trust_stores.trust_store_repository import (
    TrustStoresRepository,
)
from sslyze.plugins.scan_commands import ScanCommand
from sslyze.scanner.models import (
    AllScanCommandsAttempts,
    ServerScanRequest,
    ServerScanStatusEnum,
)
from sslyze.scanner.scan_command_attempt import ScanCommandAttemptStatusEnum
from sslyze.scanner.scanner import Scanner
from sslyze.server_setting import ServerNetworkLocation

from faceless.posture.tls_facts import CertificateFacts, Suite, TlsFacts, rsa_equivalent

_SUITE_COMMANDS = {
    "SSL 2.0": ScanCommand.SSL_2_0_CIPHER_SUITES,
    "SSL 3.0": ScanCommand.SSL_3_0_CIPHER_SUITES,
    "TLS 1.0": ScanCommand.TLS_1_0_CIPHER_SUITES,
    "TLS 1.1": ScanCommand.TLS_1_1_CIPHER_SUITES,
    "TLS 1.2": ScanCommand.TLS_1_2_CIPHER_SUITES,
    "TLS 1.3": ScanCommand.TLS_1_3_CIPHER_SUITES,
}
_COMMANDS = {
    *_SUITE_COMMANDS.values(),
    ScanCommand.CERTIFICATE_INFO,
    ScanCommand.ELLIPTIC_CURVES,
    ScanCommand.TLS_COMPRESSION,
    ScanCommand.SESSION_RENEGOTIATION,
    ScanCommand.HEARTBLEED,
    ScanCommand.OPENSSL_CCS_INJECTION,
    ScanCommand.ROBOT,
}
_ROBOT_VULNERABLE = frozenset({"VULNERABLE_STRONG_ORACLE", "VULNERABLE_WEAK_ORACLE"})


def trust_anchors(ca_file: Path | None) -> tuple[str, list[x509.Certificate]]:
    """The anchors to verify against: ``ca_file``, else the system's CA bundle."""
    if ca_file is not None:
        return f"--ca-file {ca_file}", x509.load_pem_x509_certificates(ca_file.read_bytes())
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile):
        if candidate and Path(candidate).is_file():
            return f"the system store ({candidate})", _load_bundle(Path(candidate))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        mozilla = TrustStoresRepository.get_default().get_main_store()
    return "sslyze's Mozilla store", _load_bundle(mozilla.path)


def _load_bundle(path: Path) -> list[x509.Certificate]:
    with warnings.catch_warnings():
        # Some public roots carry a non-positive serial number; they still anchor.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        return x509.load_pem_x509_certificates(path.read_bytes())


def scan_tls(host: str, port: int, *, ca_file: Path | None) -> TlsFacts:
    """Scan ``host:port``; a target that completes no TLS handshake gets ``handshake_error``."""
    with warnings.catch_warnings():
        # sslyze loads its bundled stores for certificate_info; see _load_bundle.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        TrustStoresRepository.get_default()
        scanner = Scanner()
        scanner.queue_scans(
            [
                ServerScanRequest(
                    server_location=ServerNetworkLocation(host, port), scan_commands=_COMMANDS
                )
            ]
        )
        (result,) = list(scanner.get_results())
    if result.scan_status != ServerScanStatusEnum.COMPLETED or result.scan_result is None:
        trace = result.connectivity_error_trace
        reason = str(trace).strip().splitlines()[-1] if trace else "no TLS handshake"
        return TlsFacts(host, port, handshake_error=reason)
    return _facts(host, port, result.scan_result, ca_file)


def _facts(
    host: str, port: int, attempts: AllScanCommandsAttempts, ca_file: Path | None
) -> TlsFacts:
    unknown: list[str] = []
    offered: set[str] = set()
    suites: list[Suite] = []
    for version, command in _SUITE_COMMANDS.items():
        attempt = getattr(attempts, command.value)
        if attempt.status != ScanCommandAttemptStatusEnum.COMPLETED or attempt.result is None:
            unknown.append(version)
            continue
        for accepted in attempt.result.accepted_cipher_suites:
            offered.add(version)
            key = accepted.ephemeral_key
            suites.append(
                Suite(
                    version,
                    accepted.cipher_suite.name,
                    accepted.cipher_suite.key_size,
                    key.size if key is not None else None,
                )
            )
    curves = attempts.elliptic_curves.result
    groups = tuple(c.name for c in curves.supported_curves or ()) if curves else ()
    compression = attempts.tls_compression.result
    renegotiation = attempts.session_renegotiation.result
    certificate, chain = _certificate(attempts)
    store_name, anchors = trust_anchors(ca_file)
    chain_error, name_ok = _verify(chain, host, anchors, certificate)
    stapled = _stapled(attempts)
    return TlsFacts(
        host,
        port,
        offered=frozenset(offered),
        suites=tuple(suites),
        groups=groups,
        certificate=certificate,
        trust_store=store_name,
        chain_error=chain_error,
        name_matches=name_ok,
        ocsp_stapled=stapled,
        compression=compression.supports_compression if compression else None,
        secure_renegotiation=renegotiation.supports_secure_renegotiation if renegotiation else None,
        client_renegotiation=(
            renegotiation.is_vulnerable_to_client_renegotiation_dos if renegotiation else None
        ),
        vulnerabilities=_vulnerabilities(attempts),
        unknown=tuple(unknown),
    )


def _vulnerabilities(attempts: AllScanCommandsAttempts) -> tuple[str, ...]:
    found = []
    heartbleed = attempts.heartbleed.result
    if heartbleed is not None and heartbleed.is_vulnerable_to_heartbleed:
        found.append("Heartbleed (CVE-2014-0160)")
    ccs = attempts.openssl_ccs_injection.result
    if ccs is not None and ccs.is_vulnerable_to_ccs_injection:
        found.append("OpenSSL CCS injection (CVE-2014-0224)")
    robot = attempts.robot.result
    if robot is not None and robot.robot_result.value in _ROBOT_VULNERABLE:
        found.append(f"ROBOT ({robot.robot_result.value})")
    return tuple(found)


def _stapled(attempts: AllScanCommandsAttempts) -> bool:
    info = attempts.certificate_info.result
    return bool(info and any(d.ocsp_response is not None for d in info.certificate_deployments))


def _certificate(
    attempts: AllScanCommandsAttempts,
) -> tuple[CertificateFacts | None, list[x509.Certificate]]:
    info = attempts.certificate_info.result
    if info is None or not info.certificate_deployments:
        return None, []
    deployment = info.certificate_deployments[0]
    chain = list(deployment.received_certificate_chain)
    return describe(
        chain[0], must_staple=deployment.leaf_certificate_has_must_staple_extension
    ), chain


def describe(leaf: x509.Certificate, *, must_staple: bool = False) -> CertificateFacts:
    key = leaf.public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        kind, detail, bits = "ECDSA", key.curve.name, key.curve.key_size
    elif isinstance(key, rsa.RSAPublicKey):
        kind, detail, bits = "RSA", f"{key.key_size} bits", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        kind, detail, bits = "Ed25519", "255 bits", 256
    elif isinstance(key, ed448.Ed448PublicKey):
        kind, detail, bits = "Ed448", "448 bits", 448
    else:
        kind, detail, bits = type(key).__name__, "unknown", 0
    return CertificateFacts(
        key_type=kind,
        key_detail=detail,
        rsa_equivalent_bits=rsa_equivalent(kind, bits),
        names=_names(leaf),
        not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc,
        ocsp_urls=_ocsp_urls(leaf),
        must_staple=must_staple,
        sha256=leaf.fingerprint(hashes.SHA256()).hex(":").upper(),
    )


def _names(leaf: x509.Certificate) -> tuple[str, ...]:
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return ()
    dns = san.get_values_for_type(x509.DNSName)
    ips = [str(ip) for ip in san.get_values_for_type(x509.IPAddress)]
    return (*dns, *ips)


def _ocsp_urls(leaf: x509.Certificate) -> tuple[str, ...]:
    try:
        aia = leaf.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    except x509.ExtensionNotFound:
        return ()
    return tuple(
        str(d.access_location.value)
        for d in aia
        if d.access_method == AuthorityInformationAccessOID.OCSP
    )


def name_matches(host: str, names: tuple[str, ...]) -> bool:
    """RFC 6125: exact (case-insensitive) or a wildcard standing for one leftmost label."""
    host = host.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in names):
        if name == host:
            return True
        if name.startswith("*.") and "." in host:
            label, _, rest = host.partition(".")
            if label and rest == name[2:]:
                return True
    return False


def _subject(name: str) -> x509.DNSName | x509.IPAddress:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _verify(
    chain: list[x509.Certificate],
    host: str,
    anchors: list[x509.Certificate],
    certificate: CertificateFacts | None,
) -> tuple[str | None, bool]:
    """(why the chain is not trusted or None, whether the leaf names ``host``)."""
    if not chain or certificate is None:
        return "no certificate received", False
    name_ok = name_matches(host, certificate.names)
    subject = host if name_ok or not certificate.names else certificate.names[0].replace("*", "x")
    if not anchors:
        return "no trust anchors", name_ok
    verifier = (
        PolicyBuilder()
        .store(Store(anchors))
        .time(datetime.now(UTC))
        .build_server_verifier(_subject(subject))
    )
    try:
        verifier.verify(chain[0], chain[1:])
    except VerificationError as exc:
        return str(exc), name_ok
    return None, name_ok
