"""Who is the client? The socket peer, unless that peer is a configured proxy.

Only then are ``X-Forwarded-For`` / ``X-Forwarded-Proto`` believed, and the client
is the right-most address in the chain that is *not* a trusted proxy: everything
to the left of it was written by the client and could be anything. One function
serves the rate limiter, the audit trail and the logs alike.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class ProxyPolicy:
    trusted: tuple[IPNetwork, ...]

    def is_trusted(self, address: str) -> bool:
        if not self.trusted:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted)


def build_proxy_policy(entries: Iterable[str]) -> ProxyPolicy:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ValueError(
                f"TRUSTED_PROXIES has an invalid address or network: {entry!r}"
            ) from None
    return ProxyPolicy(trusted=tuple(networks))


def _forwarded_chain(values: Sequence[bytes]) -> list[str]:
    chain: list[str] = []
    for value in values:
        chain.extend(part.strip() for part in value.decode("latin-1").split(",") if part.strip())
    return chain


def resolve_client(
    policy: ProxyPolicy, peer: str | None, forwarded_for: Sequence[bytes]
) -> str | None:
    """The client address: the peer, or the right-most untrusted hop behind trusted proxies."""
    if peer is None or not policy.is_trusted(peer):
        return peer
    client = peer
    for hop in reversed(_forwarded_chain(forwarded_for)):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            # Garbage in the header: stop at the last address we could vouch for.
            return client
        client = hop
        if not policy.is_trusted(hop):
            return hop
    return client
