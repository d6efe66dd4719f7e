"""Errors whose messages are safe to log and show: names and reasons, never values."""

from __future__ import annotations


class SafeSecretError(RuntimeError):
    """Raised by our backends; the message names the backend and the reason class only."""


class SecretsConfigError(ValueError):
    """The secret configuration is unusable (e.g. a backend production refuses)."""
