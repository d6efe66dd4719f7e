"""The instance under test: its origin, its plain-HTTP listener and the CA to trust."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit


class TargetError(ValueError):
    """The URL given is not something we can measure (not http(s), no host)."""


class UnreachableError(Exception):
    """Nothing answers at the target's address: there is nothing to measure."""


@dataclass(frozen=True, slots=True)
class Target:
    scheme: str
    host: str
    port: int
    http_origin: str | None  # the plain-HTTP listener expected to redirect
    http_origin_given: bool
    ca_file: Path | None

    @property
    def https(self) -> bool:
        return self.scheme == "https"

    @property
    def origin(self) -> str:
        default = 443 if self.https else 80
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}" + ("" if self.port == default else f":{self.port}")

    def url(self, path: str) -> str:
        return self.origin + path

    @property
    def hosts(self) -> frozenset[str]:
        """The only host names any probe may contact."""
        names = {self.host}
        if self.http_origin:
            names.add(urlsplit(self.http_origin).hostname or self.host)
        return frozenset(names)


def _origin_of(url: str, *, what: str) -> tuple[str, str, int]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"{what} must be an http:// or https:// URL, not {url!r}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetError(f"{what} has an invalid port: {url!r}") from None
    return parts.scheme, parts.hostname, port


def parse_target(url: str, *, http_url: str | None, ca_file: Path | None) -> Target:
    """An https target's plain-HTTP listener is ``http_url``, else port 80 of its host."""
    scheme, host, port = _origin_of(url, what="the URL")
    if http_url is not None:
        http_scheme, http_host, http_port = _origin_of(http_url, what="--http-url")
        if http_scheme != "http":
            raise TargetError(f"--http-url must be an http:// URL, not {http_url!r}")
        name = f"[{http_host}]" if ":" in http_host else http_host
        http_origin: str | None = f"http://{name}:{http_port}"
    elif scheme == "http":
        http_origin = None  # the target itself is the plain-HTTP listener
    else:
        name = f"[{host}]" if ":" in host else host
        http_origin = f"http://{name}"
    return Target(scheme, host, port, http_origin, http_url is not None, ca_file)


def ensure_reachable(target: Target, timeout: float = 3.0) -> None:
    try:
        with socket.create_connection((target.host, target.port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise UnreachableError(
            f"cannot connect to {target.host}:{target.port} ({reason})"
        ) from None
