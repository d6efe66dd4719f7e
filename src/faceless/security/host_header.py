"""The ``Host`` header, read once and strictly, for the API and the redirect listener.

Design points (RFC 9112 §3.2, ADR 0013):

- Exactly one ``Host`` header. With two, the allow-list and the framework could read
  different ones: Starlette builds redirect URLs from the first, so checking the last
  let ``Host: localhost`` + ``Host: evil.example`` answer a 307 to evil.example.
- Its value must be ``host[:port]``: a DNS name (dot-separated labels of letters,
  digits, ``-`` and ``_``, optionally ending in a dot), an IPv4 address, or an IPv6
  literal in brackets; a port is 1-5 digits, at most 65535. Nothing else: the value
  ends up in URLs as is, so ``localhost:1@evil.example`` (user info), a path, a second
  colon or spaces would change what a URL built from it points to.
- The answer is the host alone, lower-cased, brackets and port removed, which is
  what an allow-list compares. An absent header is reported as such (HTTP/1.0 may
  omit it); the caller decides.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOST = re.compile(
    rf"(?:(?P<name>{_LABEL}(?:\.{_LABEL})*\.?)|\[(?P<ipv6>[0-9A-Fa-f:.]+)\])"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
_MAX_NAME = 253


class HostHeaderError(ValueError):
    """The request has more than one ``Host`` header, or one that is not ``host[:port]``."""


def request_host(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The host named by the only ``Host`` header (lower-case, no port), None if absent.

    ``headers`` are an ASGI scope's (names lower-cased by the server). Raises
    HostHeaderError for a repeated or malformed header.
    """
    values = [value for name, value in headers if name == b"host"]
    if not values:
        return None
    if len(values) > 1:
        raise HostHeaderError("more than one Host header")
    return parse_host(values[0].decode("latin-1"))


def parse_host(value: str) -> str:
    """``host[:port]`` → host (lower-case, IPv6 without brackets); HostHeaderError otherwise."""
    match = _HOST.fullmatch(value)
    if match is None:
        raise HostHeaderError("the Host header is not host[:port]")
    port = match["port"]
    if port is not None and int(port) > 65535:
        raise HostHeaderError("the Host header's port is out of range")
    if match["ipv6"] is not None:
        try:
            return str(ipaddress.IPv6Address(match["ipv6"]))
        except ValueError:
            raise HostHeaderError("the Host header's IPv6 literal is invalid") from None
    name: str = match["name"]
    if len(name) > _MAX_NAME:
        raise HostHeaderError("the Host header's name is too long")
    return name.lower()
