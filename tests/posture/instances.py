"""The instances the posture tests measure: ours as ``make run`` starts it, the seed
reproduction, and copies of ours each weakened in exactly one way.

Every one is a real server process on free loopback ports with its own var dir. The
command under test is the real CLI, ``faceless security-check``, run as a subprocess
with the instance's own environment (``--local`` reads the server's settings).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fixtures import ManagedProcess

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FACELESS = str(BIN / "faceless")
SEED_APP = ROOT.parent / "shared" / "peers" / "seed_reference"

# Every setting a developer's shell might carry; each instance sets only its own.
_CLEARED = (
    "DATABASE_URL",
    "DATABASE_MIGRATION_URL",
    "REDIS_URL",
    "TRUSTED_PROXIES",
    "ALLOWED_HOSTS",
    "CORS_ORIGINS",
    "METRICS_ALLOW",
    "DOCS_ENABLED",
    "TLS_CERT_FILE",
    "TLS_KEY_FILE",
    "TLS_CA_FILE",
    "HSTS_MAX_AGE",
    "HSTS_PRELOAD",
    "XSS_PROTECTION_LEGACY",
    "RATE_LIMITS",
    "SECRETS_BACKENDS",
    "SECRETS_DIR",
    "SECRET_KEY",
    "DATA_ENCRYPTION_KEY",
    "API_TOKEN_HMAC_KEY",
    "METRICS_TOKEN",
    "AUDIT_HEAD_FILE",
)


@dataclass
class Instance:
    name: str
    https_port: int | None  # None: plain HTTP only (the seed)
    http_port: int
    home: Path
    env: dict[str, str | None] = field(default_factory=dict)
    ca_file: Path | None = None
    local: bool = True
    process: ManagedProcess | None = None

    @property
    def origin(self) -> str:
        if self.https_port is None:
            return f"http://127.0.0.1:{self.http_port}"
        return f"https://localhost:{self.https_port}"

    @property
    def host(self) -> str:
        return "localhost" if self.https_port else "127.0.0.1"

    @property
    def http_url(self) -> str | None:
        return f"http://localhost:{self.http_port}" if self.https_port else None

    def cli_args(self) -> list[str]:
        args = [self.origin]
        if self.http_url:
            args += ["--http-url", self.http_url]
        if self.ca_file:
            args += ["--ca-file", str(self.ca_file)]
        return args + (["--local"] if self.local else [])


def make_run_env(home: Path, https_port: int, **overrides: str) -> dict[str, str | None]:
    """``make run``'s environment: development, SQLite under var/, generated TLS."""
    env: dict[str, str | None] = dict.fromkeys(_CLEARED)
    env |= {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(home / "var"),
        "PUBLIC_URL": f"https://localhost:{https_port}",
        "PYTHONPATH": str(ROOT),
    }
    return env | overrides


def serve(instance: Instance, argv_prefix: list[str] | None = None) -> ManagedProcess:
    assert instance.https_port is not None
    argv = [
        *(argv_prefix or [FACELESS]),
        "serve",
        "--port",
        str(instance.https_port),
        "--redirect-port",
        str(instance.http_port),
    ]
    instance.home.mkdir(parents=True, exist_ok=True)
    return ManagedProcess(
        argv, env=instance.env, cwd=instance.home, name=instance.name, log_dir=instance.home
    )


def serve_seed(instance: Instance) -> ManagedProcess:
    """The seed design, as its README runs it: uvicorn, plain HTTP, the seed's own limits."""
    argv = [str(BIN / "uvicorn"), "--app-dir", str(SEED_APP), "app:app"]
    argv += ["--host", "127.0.0.1", "--port", str(instance.http_port), "--no-access-log"]
    instance.home.mkdir(parents=True, exist_ok=True)
    env = {"SEED_HUGE_LIMITS": None, "SEED_LOGIN_LIMIT": None, "SEED_VIDEOS_LIMIT": None}
    return ManagedProcess(
        argv, env=env, cwd=instance.home, name=instance.name, log_dir=instance.home
    )


def self_signed_leaf(directory: Path) -> tuple[Path, Path]:
    """An ECDSA P-256 leaf for localhost that signs itself: chained to nothing."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=90))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass(frozen=True)
class CheckRun:
    exit_code: int
    report: dict[str, Any]
    stderr: str

    def check(self, check_id: str) -> dict[str, Any]:
        return next(c for c in self.report["checks"] if c["id"] == check_id)

    def statuses(self) -> dict[str, str]:
        return {c["id"]: c["status"] for c in self.report["checks"]}


def start_security_check(instance: Instance) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k not in instance.env}
    env |= {k: v for k, v in instance.env.items() if v is not None}
    return subprocess.Popen(
        [FACELESS, "security-check", *instance.cli_args(), "--json"],
        cwd=instance.home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_security_check(process: subprocess.Popen[str], timeout: float = 240) -> CheckRun:
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    try:
        report = json.loads(stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"no JSON report (exit {process.returncode}): {stdout}{stderr}"
        ) from None
    return CheckRun(process.returncode, report, stderr)
