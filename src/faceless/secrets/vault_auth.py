"""Keeping the Vault token valid: look it up, renew it in time, or log in with AppRole.

Split from :mod:`faceless.secrets.vault`; its module docstring gives the renewal rules.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import hvac

from faceless.secrets.base import Secret
from faceless.secrets.vault_errors import VaultError, reason_of, vault_error

# The backend's logger, whichever module does the work: operators filter on its name.
logger = logging.getLogger("faceless.secrets.vault")

# Renew once less than this share of the granted TTL remains.
_RENEW_FRACTION = 1 / 3


@dataclass(frozen=True, slots=True)
class _Lease:
    granted: float  # the TTL window the token was given, in seconds; 0 = never expires
    expires_at: float  # time.monotonic() deadline
    renewable: bool

    def remaining(self, now: float) -> float:
        return self.expires_at - now

    def due(self, now: float) -> bool:
        return self.granted > 0 and self.remaining(now) < self.granted * _RENEW_FRACTION


def _lease_from_auth(auth: dict[str, Any], now: float) -> _Lease:
    ttl = float(auth.get("lease_duration") or 0)
    return _Lease(ttl, now + ttl, bool(auth.get("renewable")))


class VaultToken:
    """The token of one hvac client, with what it takes to keep it valid.

    Not thread-safe: the backend calls :meth:`ensure` with its lock held, so that a
    single-use secret id is never spent by two threads logging in at once.
    """

    def __init__(
        self,
        client: hvac.Client,
        *,
        approle: tuple[str, Secret] | None,
        approle_mount: str,
        location: str,
    ) -> None:
        self._client = client
        self._approle = approle
        self._approle_mount = approle_mount
        self._location = location  # mount/path, for error messages
        self._lease: _Lease | None = None

    def ensure(self) -> None:
        """Have a token that will outlive the next request."""
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
            raise vault_error("looking up the token for", self._location, exc) from None
        ttl = float(data.get("ttl") or 0)
        # creation_ttl is the full window; ttl alone would renew late for an older token.
        granted = max(ttl, float(data.get("creation_ttl") or 0)) if ttl else 0.0
        self._lease = _Lease(granted, time.monotonic() + ttl, bool(data.get("renewable")))

    def _login(self, role_id: str, secret_id: Secret) -> None:
        try:
            reply = self._client.auth.approle.login(
                role_id=role_id,
                secret_id=secret_id.reveal(),
                mount_point=self._approle_mount,
            )
        except Exception as exc:
            self._lease = None
            reason = f"AppRole login failed: {reason_of(exc)}"
            raise VaultError(f"vault: {reason}", reason=reason) from None
        self._lease = _lease_from_auth(reply["auth"], time.monotonic())
        logger.info("vault: logged in with AppRole at %s", self._approle_mount)

    def _refresh(self, lease: _Lease, now: float) -> None:
        if lease.renewable:
            try:
                reply = self._client.auth.token.renew_self()
            except Exception as exc:
                if self._approle is None:
                    raise vault_error("renewing the token for", self._location, exc) from None
                logger.info("vault: token renewal failed (%s); logging in again", reason_of(exc))
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
