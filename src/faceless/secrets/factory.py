"""Building the configured fallback chain (``SECRETS_BACKENDS``) from settings.

The stores' own credentials (``VAULT_TOKEN``, ``VAULT_SECRET_ID``) are bootstrap
secrets: they are read from the secrets directory or the environment, never from the
store they unlock, and never from settings. AWS credentials come from boto3's own
chain (environment, profile, instance role).
"""

from __future__ import annotations

from faceless.secrets.base import Secret, SecretBackend
from faceless.secrets.dotenv import DotenvBackend
from faceless.secrets.env import EnvBackend
from faceless.secrets.errors import SecretsConfigError
from faceless.secrets.files import FilesBackend
from faceless.secrets.manager import SecretManager
from faceless.settings import Environment, Settings

KNOWN_BACKENDS = ("vault", "aws", "files", "dotenv", "env")


def _bootstrap(settings: Settings, name: str) -> str | None:
    for backend in (FilesBackend(settings.secrets_dir), EnvBackend()):
        secret: Secret | None = backend.get(name)
        if secret is not None:
            return secret.reveal()
    return None


def _vault(settings: Settings) -> SecretBackend:
    from faceless.secrets.vault import VaultBackend

    if not settings.vault.addr:
        raise SecretsConfigError("SECRETS_BACKENDS lists vault but VAULT_ADDR is not set")
    # VAULT_ROLE_ID set means AppRole, whatever else is around; otherwise a token.
    if settings.vault.role_id:
        secret_id = _bootstrap(settings, "VAULT_SECRET_ID")
        if not secret_id:
            raise SecretsConfigError("vault AppRole needs VAULT_SECRET_ID with VAULT_ROLE_ID")
        return VaultBackend.from_settings(settings.vault, token=None, secret_id=secret_id)
    token = _bootstrap(settings, "VAULT_TOKEN")
    if not token:
        raise SecretsConfigError("vault needs VAULT_TOKEN, or VAULT_ROLE_ID + VAULT_SECRET_ID")
    return VaultBackend.from_settings(settings.vault, token=token, secret_id=None)


def _aws(settings: Settings) -> SecretBackend:
    from faceless.secrets.aws import AwsSecretsBackend

    if not settings.aws.secret_id or not settings.aws.region:
        raise SecretsConfigError(
            "SECRETS_BACKENDS lists aws but AWS_REGION or AWS_SECRET_ID is unset"
        )
    return AwsSecretsBackend.from_settings(settings.aws)


def _dotenv(settings: Settings) -> SecretBackend:
    production = settings.env is Environment.PRODUCTION
    if production and not settings.secrets.allow_dotenv_in_production:
        raise SecretsConfigError(
            "SECRETS_BACKENDS lists dotenv, which production refuses: use files, vault or aws "
            "(or set SECRETS_ALLOW_DOTENV=true to accept the risk)"
        )
    return DotenvBackend(settings.secrets.dotenv_file, require_private=not settings.is_development)


def build_backend(settings: Settings, name: str) -> SecretBackend:
    if name == "env":
        return EnvBackend()
    if name == "files":
        return FilesBackend(settings.secrets_dir)
    if name == "dotenv":
        return _dotenv(settings)
    if name == "vault":
        return _vault(settings)
    if name == "aws":
        return _aws(settings)
    raise SecretsConfigError(
        f"unknown secret backend {name!r} in SECRETS_BACKENDS (known: {', '.join(KNOWN_BACKENDS)})"
    )


def build_secret_manager(settings: Settings) -> SecretManager:
    names = settings.secrets.backends
    if not names:
        raise SecretsConfigError("SECRETS_BACKENDS is empty")
    if len(set(names)) != len(names):
        raise SecretsConfigError("SECRETS_BACKENDS lists a backend twice")
    backends = [build_backend(settings, name) for name in names]
    return SecretManager(backends, ttl_seconds=settings.secrets.cache_ttl_seconds)
