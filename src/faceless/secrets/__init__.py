"""Secrets: typed values read through pluggable backends, never logged."""

from faceless.secrets.base import Secret, SecretBackend
from faceless.secrets.manager import MissingSecretError, SecretManager, build_secret_manager

__all__ = ["MissingSecretError", "Secret", "SecretBackend", "SecretManager", "build_secret_manager"]
