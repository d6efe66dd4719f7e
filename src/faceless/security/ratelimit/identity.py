"""The keys a request is counted under: its client network, and its user if signed in.

IPv6 clients are grouped by /64, the smallest block a single subscriber usually
gets, so rotating addresses inside one allocation buys nothing. The user comes
from the access token's signature alone (no database), which is enough to key a
budget: a forged token fails verification and counts only against the IP.
"""

from __future__ import annotations

import ipaddress

from faceless.security.tokens import InvalidTokenError, TokenCodec


def client_key(address: str | None) -> str:
    if not address:
        return "ip:unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "ip:invalid"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return f"ip:{ip.ipv4_mapped}"
        return f"ip6:{ipaddress.IPv6Network((ip, 64), strict=False).network_address}/64"
    return f"ip:{ip}"


def user_key(authorization: bytes | None, codec: TokenCodec) -> str | None:
    if not authorization or authorization[:7].lower() != b"bearer ":
        return None
    try:
        claims = codec.decode(authorization[7:].decode("latin-1").strip())
    except InvalidTokenError:
        return None
    return f"user:{claims.user_id}"
