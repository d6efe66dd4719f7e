"""Secrets from HashiCorp Vault (or OpenBao) KV version 2.

Design:

* All of the service's secrets live in one KV v2 secret at ``mount/path``, a map of
  NAME -> value. One read fetches them all and the snapshot is kept until
  :meth:`VaultBackend.reload`, so N names cost one request per reload and the names read
  together come from one version (recorded on every :class:`Secret`).
* A missing path, a deleted latest version or a missing key is "not here" (``None``),
  so the manager may fall back. Anything else (permission denied, unreachable, timeout,
  sealed) raises :class:`VaultError`, never a silent ``None``: a required secret must not
  quietly come from a weaker backend because Vault said no.
* Credentials (a token, or an AppRole role id + secret id) are handed in by the caller.
  Nothing here reads the environment: hvac would otherwise fall back to ``VAULT_TOKEN``
  and ``~/.vault-token``, so a token (empty for AppRole) is always passed explicitly.
* TLS verification is never turned off: ``verify`` is the CA file or ``True``. A CA file
  with an ``http://`` address is refused (the operator expected TLS), and plain HTTP is
  accepted only to a loopback address (a local Vault Agent, a dev server) unless
  ``allow_plain_http`` says otherwise.
* The token is renewed before a read once less than a third of its TTL is left; when it
  cannot be extended and AppRole credentials are at hand, the backend logs in again. A
  single-use secret id cannot log in twice, and that error is surfaced, not hidden.
* Messages name the backend, the reason class and ``mount/path``; never a value, token
  or secret id. Exceptions from hvac/requests are not chained, because their text
  includes URLs and server replies we have not vetted.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import hvac
import hvac.exceptions
import requests

from faceless.secrets.base import Secret
from faceless.secrets.errors import SafeSecretError, SecretsConfigError
from faceless.settings import VaultSettings

__all__ = ["VaultBackend", "VaultError"]

logger = logging.getLogger(__name__)

# Renew once less than this share of the granted TTL remains.
_RENEW_FRACTION = 1 / 3
# sys/health codes for a node that can serve reads: active, standby, performance standby.
_SERVING = frozenset({200, 429, 473})
_HEALTH_CODES = {
    472: "dr secondary",
    474: "standby without active node",
    501: "not initialized",
    503: "sealed",
    530: "removed from cluster",
}


class VaultError(SafeSecretError):
    """Vault failed for a reason other than "not there"; the message holds no secret.

    ``reason`` is the short class of failure ("permission denied", "sealed",
    "unreachable: ConnectionError", ...) that ``health()`` reports.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class _Lease:
    granted: float  # the TTL window the token was given, in seconds; 0 = never expires
    expires_at: float  # time.monotonic() deadline
    renewable: bool

    def remaining(self, now: float) -> float:
        return self.expires_at - now

    def due(self, now: float) -> bool:
        return self.granted > 0 and self.remaining(now) < self.granted * _RENEW_FRACTION


@dataclass(frozen=True, slots=True)
class _Snapshot:
    values: dict[str, Any] = field(repr=False)  # never in a repr, vars() or traceback
    version: str | None


class VaultBackend:
    """One KV v2 secret of NAME -> value, read through hvac with token or AppRole auth."""

    name = "vault"

    def __init__(
        self,
        *,
        addr: str,
        mount: str = "secret",
        path: str = "faceless",
        namespace: str | None = None,
        ca_file: str | os.PathLike[str] | None = None,
        timeout: float = 3.0,
        token: str | None = None,
        role_id: str | None = None,
        secret_id: str | None = None,
        approle_mount: str = "approle",
        allow_plain_http: bool = False,
    ) -> None:
        self.addr = _check_addr(addr, ca_file=ca_file, allow_plain_http=allow_plain_http)
        self.mount = mount.strip("/")
        self.path = path.strip("/")
        if not self.mount or not self.path:
            raise SecretsConfigError("VAULT_MOUNT and VAULT_PATH must not be empty")
        self.namespace = namespace or None
        self.approle_mount = approle_mount.strip("/")
        if timeout <= 0:
            raise SecretsConfigError("VAULT_TIMEOUT must be positive")
        self.timeout = timeout
        # A path for requests to verify against, or True for the system CAs; never False.
        self.tls_verify: str | bool = _check_ca_file(ca_file) if ca_file is not None else True
        self.auth_method = _check_credentials(token, role_id, secret_id)
        # The secret id is held as a Secret so tracebacks with locals show no value.
        self._approle = (
            (role_id, Secret("VAULT_SECRET_ID", secret_id, backend=self.name))
            if role_id and secret_id
            else None
        )
        # Always a str: None would make hvac read VAULT_TOKEN or ~/.vault-token itself.
        self._client = hvac.Client(token=token or "", namespace=self.namespace, **self._http())
        # sys/health is unauthenticated and lives in the root namespace.
        self._probe = hvac.Client(token="", **self._http())
        self._lease: _Lease | None = None
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_settings(
        cls,
        settings: VaultSettings,
        *,
        token: str | None,
        secret_id: str | None,
        allow_plain_http: bool = False,
    ) -> VaultBackend:
        """Build from the VAULT_* settings; the credential comes from the secret chain."""
        if not settings.addr:
            raise SecretsConfigError("VAULT_ADDR is not set")
        return cls(
            addr=settings.addr,
            mount=settings.mount,
            path=settings.path,
            namespace=settings.namespace,
            ca_file=settings.ca_file,
            timeout=settings.timeout_seconds,
            token=token,
            role_id=settings.role_id if secret_id else None,
            secret_id=secret_id,
            approle_mount=settings.approle_mount,
            allow_plain_http=allow_plain_http,
        )

    def __repr__(self) -> str:
        return (
            f"<VaultBackend {self.addr} {self.location} auth={self.auth_method} "
            f"namespace={self.namespace!r}>"
        )

    __str__ = __repr__

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a VaultBackend holds credentials and is not picklable")

    @property
    def location(self) -> str:
        return f"{self.mount}/{self.path}"

    # -- SecretBackend -------------------------------------------------------------

    def get(self, name: str) -> Secret | None:
        # One lock around login and read: concurrent first reads make one request, and
        # a single-use secret id is never spent by two threads logging in at once.
        with self._lock:
            snapshot = self._snapshot
            if snapshot is None:
                self._ensure_token()
                snapshot = self._snapshot = self._read()
        value = snapshot.values.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise VaultError(
                f"vault: {name} in {self.location} is not a string", reason="invalid value"
            )
        return Secret(name, value, backend=self.name, version=snapshot.version)

    def reload(self) -> None:
        with self._lock:
            self._snapshot = None

    def health(self) -> str:
        """Return "ok" or a short reason; each request is bounded by the timeout; never raises.

        "ok" means the server serves reads, the token is valid (renewed or logged in as
        ``get`` would) and its policy lets it read ``mount/data/path``.
        """
        try:
            return self._health()
        except VaultError as exc:
            return exc.reason
        except Exception as exc:
            return _reason(exc)

    # -- reading -------------------------------------------------------------------

    def _read(self) -> _Snapshot:
        try:
            response = self._client.secrets.kv.v2.read_secret_version(
                path=self.path, mount_point=self.mount, raise_on_deleted_version=True
            )
        except hvac.exceptions.InvalidPath:
            # No secret there (or its latest version is deleted): every name is missing.
            return _Snapshot(values={}, version=None)
        except Exception as exc:
            raise self._error("reading", exc) from None
        data = response["data"]
        return _Snapshot(values=dict(data["data"] or {}), version=str(data["metadata"]["version"]))

    def _health(self) -> str:
        status = self._probe.sys.read_health_status(method="GET")
        code = 200 if isinstance(status, dict) else int(status.status_code)
        if code not in _SERVING:
            return _HEALTH_CODES.get(code, f"unhealthy: HTTP {code}")
        with self._lock:
            self._ensure_token()
            # What hvac's untyped sys.get_capabilities sends: may this token read the path?
            reply = self._client.adapter.post(
                "/v1/sys/capabilities-self", json={"paths": [self._data_path]}
            )
        capabilities = reply.get(self._data_path, []) if isinstance(reply, dict) else []
        if not {"read", "root"} & set(capabilities):
            return "permission denied"
        return "ok"

    @property
    def _data_path(self) -> str:
        return f"{self.mount}/data/{self.path}"

    # -- authentication ------------------------------------------------------------

    def _ensure_token(self) -> None:
        """Have a token that will outlive the next request (call with the lock held)."""
        now = time.monotonic()
        lease = self._lease
        if lease is None:
            if self._approle is not None:
                self._login(*self._approle)
            else:
                self._lookup()
        elif lease.due(now):
            self._refresh(lease, now)

    def _lookup(self) -> None:
        try:
            data = self._client.auth.token.lookup_self()["data"]
        except Exception as exc:
            raise self._error("looking up the token for", exc) from None
        ttl = float(data.get("ttl") or 0)
        # creation_ttl is the full window; ttl alone would renew late for an older token.
        granted = max(ttl, float(data.get("creation_ttl") or 0)) if ttl else 0.0
        self._lease = _Lease(granted, time.monotonic() + ttl, bool(data.get("renewable")))

    def _login(self, role_id: str, secret_id: Secret) -> None:
        try:
            reply = self._client.auth.approle.login(
                role_id=role_id,
                secret_id=secret_id.reveal(),
                mount_point=self.approle_mount,
            )
        except Exception as exc:
            self._lease = None
            reason = f"AppRole login failed: {_reason(exc)}"
            raise VaultError(f"vault: {reason}", reason=reason) from None
        self._lease = _lease_from_auth(reply["auth"], time.monotonic())
        logger.info("vault: logged in with AppRole at %s", self.approle_mount)

    def _refresh(self, lease: _Lease, now: float) -> None:
        if lease.renewable:
            try:
                reply = self._client.auth.token.renew_self()
            except Exception as exc:
                if self._approle is None:
                    raise self._error("renewing the token for", exc) from None
                logger.info("vault: token renewal failed (%s); logging in again", _reason(exc))
            else:
                renewed = _lease_from_auth(reply["auth"], now)
                # A renewal capped by the max TTL returns what was left anyway (rounded
                # to whole seconds by the server): that is no extension.
                extended = renewed.remaining(now) > lease.remaining(now) + 1
                # Keep the original window, so a capped token stays due for renewal.
                lease = self._lease = _Lease(
                    max(lease.granted, renewed.granted), renewed.expires_at, renewed.renewable
                )
                if extended and not lease.due(now):
                    logger.info("vault: renewed the token")
                    return
        if self._approle is not None:
            self._login(*self._approle)
        # A plain token that cannot be extended is used until it expires; the read then
        # fails with "permission denied", which is the truth the operator needs.

    # -- plumbing ------------------------------------------------------------------

    def _http(self) -> dict[str, Any]:
        # hvac's stub types timeout as int, but it is handed to requests, which takes
        # float seconds (connect and read timeouts alike).
        return {"url": self.addr, "verify": self.tls_verify, "timeout": self.timeout}

    def _error(self, doing: str, exc: Exception) -> VaultError:
        reason = _reason(exc)
        return VaultError(f"vault: {reason} {doing} {self.location}", reason=reason)


def _lease_from_auth(auth: dict[str, Any], now: float) -> _Lease:
    ttl = float(auth.get("lease_duration") or 0)
    return _Lease(ttl, now + ttl, bool(auth.get("renewable")))


def _reason(exc: BaseException) -> str:
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


def _check_addr(addr: str, *, ca_file: object, allow_plain_http: bool) -> str:
    parts = urlsplit(addr)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SecretsConfigError("VAULT_ADDR must be an http(s)://host[:port] URL")
    if parts.username or parts.password:
        raise SecretsConfigError("VAULT_ADDR must not contain credentials")
    if parts.scheme == "http":
        if ca_file is not None:
            # The CA file says the operator expects TLS; do not send the token in clear.
            raise SecretsConfigError("VAULT_CACERT is set but VAULT_ADDR is http://; use https://")
        if not (allow_plain_http or _is_loopback(parts.hostname)):
            raise SecretsConfigError("VAULT_ADDR must be https:// unless Vault is on this host")
    return addr.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_ca_file(ca_file: str | os.PathLike[str]) -> str:
    path = Path(ca_file)
    if not path.is_file():
        raise SecretsConfigError(f"VAULT_CACERT {path} is not a file")
    return str(path)


def _check_credentials(token: str | None, role_id: str | None, secret_id: str | None) -> str:
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
