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

import os
import threading
from dataclasses import dataclass, field
from typing import Any

import hvac
import hvac.exceptions

from faceless.secrets.base import Secret
from faceless.secrets.errors import SecretsConfigError
from faceless.secrets.vault_auth import VaultToken
from faceless.secrets.vault_config import check_addr, check_ca_file, check_credentials
from faceless.secrets.vault_errors import VaultError, reason_of, vault_error
from faceless.settings import VaultSettings

__all__ = ["VaultBackend", "VaultError"]

# sys/health codes for a node that can serve reads: active, standby, performance standby.
_SERVING = frozenset({200, 429, 473})
_HEALTH_CODES = {
    472: "dr secondary",
    474: "standby without active node",
    501: "not initialized",
    503: "sealed",
    530: "removed from cluster",
}


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
        self.addr = check_addr(addr, ca_file=ca_file, allow_plain_http=allow_plain_http)
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
        self.tls_verify: str | bool = check_ca_file(ca_file) if ca_file is not None else True
        self.auth_method = check_credentials(token, role_id, secret_id)
        # The secret id is held as a Secret so tracebacks with locals show no value.
        approle = (
            (role_id, Secret("VAULT_SECRET_ID", secret_id, backend=self.name))
            if role_id and secret_id
            else None
        )
        # Always a str: None would make hvac read VAULT_TOKEN or ~/.vault-token itself.
        self._client = hvac.Client(token=token or "", namespace=self.namespace, **self._http())
        self._token = VaultToken(
            self._client, approle=approle, approle_mount=self.approle_mount, location=self.location
        )
        # sys/health is unauthenticated and lives in the root namespace.
        self._probe = hvac.Client(token="", **self._http())
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
                self._token.ensure()
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
            return reason_of(exc)

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
            raise vault_error("reading", self.location, exc) from None
        data = response["data"]
        return _Snapshot(values=dict(data["data"] or {}), version=str(data["metadata"]["version"]))

    def _health(self) -> str:
        status = self._probe.sys.read_health_status(method="GET")
        code = 200 if isinstance(status, dict) else int(status.status_code)
        if code not in _SERVING:
            return _HEALTH_CODES.get(code, f"unhealthy: HTTP {code}")
        with self._lock:
            self._token.ensure()
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

    # -- plumbing ------------------------------------------------------------------

    def _http(self) -> dict[str, Any]:
        # hvac's stub types timeout as int, but it is handed to requests, which takes
        # float seconds (connect and read timeouts alike).
        return {"url": self.addr, "verify": self.tls_verify, "timeout": self.timeout}
