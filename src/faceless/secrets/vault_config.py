"""Checks of the Vault connection settings, made before any request is sent.

Split from :mod:`faceless.secrets.vault`; its module docstring says when plain HTTP is
accepted and why a token and AppRole credentials exclude each other.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from faceless.loopback import is_loopback_host
from faceless.secrets.errors import SecretsConfigError


def check_addr(addr: str, *, ca_file: object, allow_plain_http: bool) -> str:
    parts = urlsplit(addr)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SecretsConfigError("VAULT_ADDR must be an http(s)://host[:port] URL")
    if parts.username or parts.password:
        raise SecretsConfigError("VAULT_ADDR must not contain credentials")
    if parts.scheme == "http":
        if ca_file is not None:
            # The CA file says the operator expects TLS; do not send the token in clear.
            raise SecretsConfigError("VAULT_CACERT is set but VAULT_ADDR is http://; use https://")
        if not (allow_plain_http or is_loopback_host(parts.hostname)):
            raise SecretsConfigError("VAULT_ADDR must be https:// unless Vault is on this host")
    return addr.rstrip("/")


def check_ca_file(ca_file: str | os.PathLike[str]) -> str:
    path = Path(ca_file)
    if not path.is_file():
        raise SecretsConfigError(f"VAULT_CACERT {path} is not a file")
    return str(path)


def check_credentials(token: str | None, role_id: str | None, secret_id: str | None) -> str:
    approle = bool(role_id) or bool(secret_id)
    if token and approle:
        raise SecretsConfigError(
            "give either VAULT_TOKEN or VAULT_ROLE_ID + VAULT_SECRET_ID, not both"
        )
    if token:
        return "token"
    if role_id and secret_id:
        return "approle"
    if approle:
        raise SecretsConfigError("AppRole needs both VAULT_ROLE_ID and VAULT_SECRET_ID")
    raise SecretsConfigError("Vault needs VAULT_TOKEN or VAULT_ROLE_ID + VAULT_SECRET_ID")
