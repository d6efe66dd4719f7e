"""Secrets: typed values read through pluggable backends, never logged."""

from faceless.secrets.base import Secret, SecretBackend
from faceless.secrets.errors import SafeSecretError, SecretsConfigError
from faceless.secrets.factory import build_secret_manager
from faceless.secrets.manager import (
    MissingSecretError,
    SecretBackendError,
    SecretEvent,
    SecretManager,
)

__all__ = [
    "MissingSecretError",
    "SafeSecretError",
    "Secret",
    "SecretBackend",
    "SecretBackendError",
    "SecretEvent",
    "SecretManager",
    "SecretsConfigError",
    "build_secret_manager",
]
