"""The keys a request is counted under: its client network, and its user if signed in.

IPv6 clients are grouped by /64, the smallest block a single subscriber usually
gets, so rotating addresses inside one allocation buys nothing. The user comes
from the access token's signature alone (no database), which is enough to key a
budget: a forged token fails verification and counts only against the IP. An API
token (``fl_…``) has no signature to check: it counts against its owner once this
process has accepted it (``api_tokens.TokenOwners``, filled by authentication), so a
script's budget is its owner's, shared with their sessions; a token never accepted
here counts against the IP only.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from faceless.security.api_tokens import PREFIX, TokenOwners
from faceless.security.request_state import Scope, remember_verified_token
from faceless.security.tokens import AccessClaims, InvalidTokenError, TokenCodec


@lru_cache(maxsize=4096)  # a pure function of the address, asked on every request
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


def verified_claims(
    authorization: bytes | None, codec: TokenCodec, scope: Scope
) -> AccessClaims | None:
    """The bearer token's verified claims, remembered in the request state.

    The authentication dependency reuses them for the same token instead of checking
    the signature a second time; it still checks the user and session in the database.
    """
    if not authorization or authorization[:7].lower() != b"bearer ":
        return None
    token = authorization[7:].decode("latin-1").strip()
    if token.startswith(PREFIX):
        return None  # an API token: no JWT to decode (see api_token_user_key)
    try:
        claims = codec.decode(token)
    except InvalidTokenError:
        return None
    remember_verified_token(scope, token, claims)
    return claims


def user_key(claims: AccessClaims | None) -> str | None:
    return f"user:{claims.user_id}" if claims else None


def api_token_user_key(authorization: bytes | None, owners: TokenOwners) -> str | None:
    """``user:<owner>`` for an API token this process has accepted before, else None."""
    if not authorization or authorization[:7].lower() != b"bearer ":
        return None
    token = authorization[7:].decode("latin-1").strip()
    if not token.startswith(PREFIX):
        return None
    owner = owners.owner_of(token)
    return f"user:{owner}" if owner else None
