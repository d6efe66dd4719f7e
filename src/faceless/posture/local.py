"""Local checks (``--local``): run on the server's host, with the server's settings.

Secrets are judged by name and reason only; no value, length or prefix of one is ever
put into evidence. Placeholders count in every environment here (start-up tolerates
them in development, a posture report does not). The database checks are those of
``faceless db verify``, which the command runs and hands over.
"""

from __future__ import annotations

import stat
from pathlib import Path
from urllib.parse import unquote, urlsplit

from faceless.crypto.keys import KeyringError, parse_keyring
from faceless.db.verify.check import Check, Status
from faceless.posture.model import CheckResult
from faceless.posture.weights import failed, passed, skipped, verdict
from faceless.secrets.manager import SecretManager
from faceless.secrets.validation import (
    KEYRING_SECRETS,
    OPTIONAL_SECRETS,
    check_secrets,
    is_placeholder,
)
from faceless.settings import Settings

LOCAL_IDS = (
    "local.secrets",
    "local.file_modes",
    "local.database",
    "local.audit_chain",
    "local.bounds",
)
# Upper bounds for the listeners' limits: beyond them a slow or greedy client holds
# resources for too long.
BOUNDS = {"max_header_bytes": 64 * 1024, "header_timeout_seconds": 60, "body_timeout_seconds": 300}
MAX_CONNECTIONS_BOUND = 100_000


def not_local() -> list[CheckResult]:
    return [skipped(i, "run with --local on the server's host to check this") for i in LOCAL_IDS]


def _read(manager: SecretManager, name: str) -> tuple[str | None, str | None]:
    """(value, problem): the value stays inside this module's callers."""
    try:
        secret = manager.get(name)
    except Exception as exc:  # a backend error names the secret, never its value
        return None, f"could not be read ({type(exc).__name__})"
    return (secret.reveal(), None) if secret is not None else (None, None)


def secret_problems(settings: Settings, manager: SecretManager) -> list[str]:
    """Start-up's problems plus placeholders and weak keys in any environment."""
    problems = [str(p) for p in check_secrets(settings, manager)]
    for name in (*KEYRING_SECRETS, *OPTIONAL_SECRETS):
        value, problem = _read(manager, name)
        if problem:
            problems.append(f"{name}: {problem}")
        elif value is None:
            if name in KEYRING_SECRETS:
                problems.append(f"{name}: missing (required)")
        elif is_placeholder(value):
            problems.append(f"{name}: is a placeholder value")
        elif name in KEYRING_SECRETS:
            try:
                parse_keyring(name, value)
            except KeyringError as exc:
                problems.append(f"{name}: {str(exc).removeprefix(name).lstrip(': ')}")
    for name, url in (("DATABASE_URL", settings.database.url), ("REDIS_URL", settings.redis.url)):
        password = urlsplit(url).password if url else None
        if password is not None and is_placeholder(unquote(password)):
            problems.append(f"{name}: its password is a placeholder value")
    return list(dict.fromkeys(problems))


def secrets_check(settings: Settings, manager: SecretManager) -> CheckResult:
    problems = secret_problems(settings, manager)
    if problems:
        return failed("local.secrets", "; ".join(problems))
    present = [n for n in (*KEYRING_SECRETS, *OPTIONAL_SECRETS) if _read(manager, n)[0]]
    return passed(
        "local.secrets",
        f"{', '.join(present)} present, strong, none a placeholder (values not shown)",
    )


def _mode_problem(path: Path, *, forbidden: int, what: str) -> str | None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if mode & forbidden:
        return f"{path} is {mode:04o} ({what})"
    return None


def file_modes_check(settings: Settings) -> CheckResult:
    var, private, no_write = settings.paths.var_dir, 0o077, 0o022
    wanted: list[tuple[Path, int, str]] = [(var, private, "var/ must be private")]
    secrets_dir = settings.secrets_dir
    wanted.append((secrets_dir, private, "the secrets directory must be private"))
    if secrets_dir.is_dir():
        wanted += [(f, private, "a secret must be private") for f in sorted(secrets_dir.iterdir())]
    keys = {settings.tls_key_file, settings.tls_dir / "ca-key.pem"}
    wanted += [(k, private, "a private key must be private") for k in sorted(keys)]
    certs = {settings.tls_cert_file, settings.tls_ca_file}
    wanted += [(c, no_write, "a certificate must not be writable by others") for c in sorted(certs)]
    wanted.append(
        (settings.audit_head_file, no_write, "the audit head must not be writable by others")
    )
    problems = [
        p for path, bits, what in wanted if (p := _mode_problem(path, forbidden=bits, what=what))
    ]
    if not var.is_dir():
        problems.append(f"{var} does not exist")
    checked = sum(1 for path, _, _ in wanted if path.exists())
    if problems:
        return failed("local.file_modes", "; ".join(problems))
    return passed(
        "local.file_modes", f"{checked} paths checked under {var} and the TLS files: private"
    )


def database_checks(outcome: list[Check] | str) -> list[CheckResult]:
    """``local.database`` and ``local.audit_chain`` from ``faceless db verify``'s checks."""
    if isinstance(outcome, str):
        return [failed("local.database", outcome), failed("local.audit_chain", outcome)]
    chain = [c for c in outcome if c.name == "audit.chain"]
    hardening = [c for c in outcome if c.name != "audit.chain"]
    failures = [f"{c.name}: {c.evidence}" for c in hardening if c.status is Status.FAIL]
    passes = [c.name for c in hardening if c.status is Status.PASS]
    skips = [c for c in hardening if c.status is Status.SKIP]
    summary = f"{len(passes)} passed ({', '.join(passes)}), {len(skips)} skipped"
    if skips:
        summary += f" ({skips[0].evidence})"
    database = (
        failed("local.database", "; ".join(failures))
        if failures
        else passed("local.database", summary)
    )
    if not chain:
        return [database, failed("local.audit_chain", "the audit chain was not checked")]
    audit = chain[0]
    return [database, verdict("local.audit_chain", audit.status is Status.PASS, audit.evidence)]


def bounds_check(settings: Settings) -> CheckResult:
    http = settings.http
    values = {
        "MAX_HEADER_BYTES": (http.max_header_bytes, BOUNDS["max_header_bytes"]),
        "HEADER_TIMEOUT_SECONDS": (http.header_timeout_seconds, BOUNDS["header_timeout_seconds"]),
        "BODY_TIMEOUT_SECONDS": (http.body_timeout_seconds, BOUNDS["body_timeout_seconds"]),
        "MAX_CONNECTIONS": (http.max_connections, MAX_CONNECTIONS_BOUND),
    }
    shown = ", ".join(f"{name}={value:g}" for name, (value, _) in values.items())
    too_loose = [
        f"{name} over {bound:g}" for name, (value, bound) in values.items() if value > bound
    ]
    if too_loose:
        return failed("local.bounds", f"{'; '.join(too_loose)} ({shown})")
    return passed("local.bounds", shown)
