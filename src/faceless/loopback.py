"""Where plain http cannot leave this machine: the one rule for base URLs that carry
credentials (the Vault address, the Anthropic and YouTube base URLs)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """``localhost`` or a loopback address: where plain http cannot leave this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def https_unless_loopback(name: str, value: str) -> str:
    """``value`` (setting ``name``) without a trailing slash, if it is https, or plain http
    to this host; a ValueError naming the setting otherwise."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"{name} must be an https:// URL")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise ValueError(f"{name} must be https:// unless it is on this host")
    return value.rstrip("/")
