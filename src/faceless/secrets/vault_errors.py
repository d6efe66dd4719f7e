"""Vault failures, told in words that are safe to log: no server text, URL or value.

Split from :mod:`faceless.secrets.vault`; its module docstring says why hvac's and
requests' exceptions are never chained.
"""

from __future__ import annotations

import hvac.exceptions
import requests

from faceless.secrets.errors import SafeSecretError


class VaultError(SafeSecretError):
    """Vault failed for a reason other than "not there"; the message holds no secret.

    ``reason`` is the short class of failure ("permission denied", "sealed",
    "unreachable: ConnectionError", ...) that ``health()`` reports.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def reason_of(exc: BaseException) -> str:
    """A short class of failure, safe to show: no server text, URL or value."""
    if isinstance(exc, hvac.exceptions.Forbidden):
        return "permission denied"
    if isinstance(exc, hvac.exceptions.Unauthorized):
        return "unauthorized"
    if isinstance(exc, hvac.exceptions.VaultDown):
        return "sealed"
    if isinstance(exc, hvac.exceptions.VaultNotInitialized):
        return "not initialized"
    if isinstance(exc, hvac.exceptions.InvalidRequest):
        return "invalid request"
    if isinstance(exc, hvac.exceptions.RateLimitExceeded):
        return "rate limited"
    if isinstance(exc, hvac.exceptions.VaultError):
        return f"server error: {type(exc).__name__}"
    if isinstance(exc, requests.exceptions.Timeout):
        return f"unreachable: timeout ({type(exc).__name__})"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS verification failed"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "unreachable: ConnectionError"
    return f"error: {type(exc).__name__}"


def vault_error(doing: str, location: str, exc: Exception) -> VaultError:
    """The error for a failed request: what was being done, and to which ``mount/path``."""
    reason = reason_of(exc)
    return VaultError(f"vault: {reason} {doing} {location}", reason=reason)
