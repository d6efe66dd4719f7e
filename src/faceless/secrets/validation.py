"""Start-up validation of every secret the service needs (and ``faceless secrets check``).

All problems are collected, not just the first, so an operator fixes a deployment in
one round. A problem names the secret or setting and the reason; it never contains a
value, and neither does anything derived from one (no lengths of passwords, no
prefixes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from faceless.crypto.keys import KeyringError, parse_keyring
from faceless.secrets.base import Secret
from faceless.secrets.errors import SafeSecretError
from faceless.secrets.manager import SecretBackendError, SecretManager, failure_reason
from faceless.settings import Environment, Settings

# API_TOKEN_HMAC_KEY: API tokens are stored as HMACs under a key of their own, so rotating
# the JWT signing key (SECRET_KEY) never ends them.
KEYRING_SECRETS = ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "API_TOKEN_HMAC_KEY")
PUBLISHER_SECRETS = ("YOUTUBE_CLIENT_ID", "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN")
OPTIONAL_SECRETS = (
    "ANTHROPIC_API_KEY",
    "MONGODB_URI",
    "METRICS_TOKEN",
    # Needed by `faceless backup` only, so optional here; checked for shape when present.
    "BACKUP_ENCRYPTION_KEY",
    *PUBLISHER_SECRETS,
)

# Values that mean "nobody chose this": the usual suspects and every placeholder the
# shipped templates (.env.example, .env.production.example) use. A test keeps this
# list in step with the templates.
PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "password",
        "passw0rd",
        "admin",
        "default",
        "example",
        "todo",
        "xxx",
        "<set-me>",
        "set-me",
        "your-secret-here",
    }
)
MIN_TOKEN_CHARS = 32


class SecretsInvalidError(SafeSecretError):
    """Start-up refused; the message lists every problem by name."""

    def __init__(self, problems: list[SecretProblem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"refusing to start: {len(problems)} secret problem(s):\n{lines}")


@dataclass(frozen=True, slots=True)
class SecretProblem:
    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"


def is_placeholder(value: str) -> bool:
    lowered = value.strip().lower()
    return (
        lowered in PLACEHOLDERS
        or "<set-me" in lowered
        or "changeme" in lowered
        or lowered.startswith("your-")
    )


def check_secrets(settings: Settings, manager: SecretManager) -> list[SecretProblem]:
    checker = _Checker(settings, manager)
    checker.backends()
    for name in KEYRING_SECRETS:
        checker.keyring(name)
    checker.database_url()
    checker.redis_url()
    checker.optional()
    return checker.problems


class _Checker:
    def __init__(self, settings: Settings, manager: SecretManager) -> None:
        self.settings = settings
        self.manager = manager
        self.strict = not settings.is_development
        self.production = settings.env is Environment.PRODUCTION
        self.problems: list[SecretProblem] = []

    def add(self, name: str, reason: str) -> None:
        self.problems.append(SecretProblem(name, reason))

    def backends(self) -> None:
        for name, state in self.manager.health().items():
            if state != "ok" and not (name == "files" and state == "directory missing"):
                self.add(f"backend {name}", state)

    def fetch(self, name: str) -> Secret | None:
        try:
            return self.manager.get(name)
        except (SecretBackendError, SafeSecretError) as exc:
            self.add(name, str(exc))
        except Exception as exc:
            self.add(name, f"could not be read ({failure_reason(exc)})")
        return None

    def keyring(self, name: str) -> None:
        secret = self.fetch(name)
        if secret is None:
            if not any(p.name == name for p in self.problems):
                self.add(name, "missing (required)")
            return
        if self.strict and is_placeholder(secret.reveal()):
            self.add(name, "is a placeholder value")
            return
        self.keyring_shape(name, secret)

    def keyring_shape(self, name: str, secret: Secret) -> None:
        try:
            parse_keyring(name, secret.reveal())
        except KeyringError as exc:
            # KeyringError messages are written without key material.
            self.add(name, str(exc).removeprefix(f"{name}: ").removeprefix(f"{name} "))

    def url_secret(self, name: str, configured: str | None) -> str | None:
        """A URL setting, or else the secret of the same name (Vault/AWS/files)."""
        if configured:
            return configured
        secret = self.fetch(name)
        return secret.reveal() if secret is not None else None

    def url_password(self, name: str, url: str) -> None:
        password = urlsplit(url).password
        if self.strict and password is not None and is_placeholder(unquote(password)):
            self.add(name, "its password is a placeholder value")

    def database_url(self) -> None:
        url = self.url_secret("DATABASE_URL", self.settings.database.url)
        if url is None:
            if self.strict:
                env = self.settings.env.value
                self.add("DATABASE_URL", f"missing (required when FACELESS_ENV={env})")
            return
        self.url_password("DATABASE_URL", url)
        if self.production:
            for reason in database_tls_problems(url):
                self.add("DATABASE_URL", reason)

    def redis_url(self) -> None:
        url = self.url_secret("REDIS_URL", self.settings.redis.url)
        if url is None:
            if self.production:
                self.add("REDIS_URL", "missing (required in production)")
            return
        self.url_password("REDIS_URL", url)

    def optional(self) -> None:
        found = {name: self.fetch(name) for name in OPTIONAL_SECRETS}
        for name, secret in found.items():
            if secret is not None and self.strict and is_placeholder(secret.reveal()):
                self.add(name, "is a placeholder value")
                found[name] = None  # one problem per secret: skip its shape checks
        anthropic = found["ANTHROPIC_API_KEY"]
        if anthropic is not None and not anthropic.reveal().startswith("sk-ant-"):
            self.add("ANTHROPIC_API_KEY", "does not have the shape of an Anthropic key (sk-ant-…)")
        mongo = found["MONGODB_URI"]
        if mongo is not None:
            self.mongodb(mongo.reveal())
        if (backup_key := found["BACKUP_ENCRYPTION_KEY"]) is not None:
            self.keyring_shape("BACKUP_ENCRYPTION_KEY", backup_key)
        metrics = found["METRICS_TOKEN"]
        if metrics is not None and len(metrics.reveal()) < MIN_TOKEN_CHARS:
            self.add("METRICS_TOKEN", f"shorter than {MIN_TOKEN_CHARS} characters")
        present = [name for name in PUBLISHER_SECRETS if self.manager.get(name) is not None]
        if present and len(present) != len(PUBLISHER_SECRETS):
            missing = [name for name in PUBLISHER_SECRETS if name not in present]
            self.add("YouTube publisher", "partly configured; missing " + ", ".join(missing))

    def mongodb(self, uri: str) -> None:
        parts = urlsplit(uri)
        if parts.scheme not in {"mongodb", "mongodb+srv"}:
            self.add("MONGODB_URI", "is not a mongodb:// or mongodb+srv:// URI")
            return
        self.url_password("MONGODB_URI", uri)
        query = {key.lower(): values for key, values in parse_qs(parts.query).items()}
        tls = (query.get("tls") or query.get("ssl") or [""])[0].lower()
        if self.production and parts.scheme == "mongodb" and tls != "true":
            self.add("MONGODB_URI", "production requires tls=true")


def database_tls_problems(url: str) -> list[str]:
    """Production talks to PostgreSQL over verified TLS: mode verify-full and a CA file."""
    parts = urlsplit(url)
    if parts.scheme.startswith("sqlite"):
        return ["production needs PostgreSQL, not SQLite"]
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    # asyncpg spells it ssl=, libpq (psycopg) sslmode=.
    mode = query.get("ssl") or query.get("sslmode")
    problems = []
    if mode != "verify-full":
        problems.append("production requires sslmode=verify-full (asyncpg: ssl=verify-full)")
    ca = query.get("sslrootcert") or os.environ.get("PGSSLROOTCERT")
    if not ca:
        problems.append("production requires a CA file (sslrootcert= or PGSSLROOTCERT)")
    elif not Path(ca).is_file():
        problems.append("the CA file in sslrootcert/PGSSLROOTCERT does not exist")
    return problems


def ensure_valid(settings: Settings, manager: SecretManager) -> None:
    problems = check_secrets(settings, manager)
    if problems:
        raise SecretsInvalidError(problems)
