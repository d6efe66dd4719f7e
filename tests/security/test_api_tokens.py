"""API token form, HMACs under a keyring of their own, and the owners the limiter keys on."""

from __future__ import annotations

from faceless.crypto.keys import generate_keyring_value, parse_keyring
from faceless.security.api_tokens import (
    ApiTokenHasher,
    TokenOwners,
    is_api_token,
    new_api_token,
)
from faceless.security.ratelimit.identity import api_token_user_key


def _ring(*values: str) -> ApiTokenHasher:
    return ApiTokenHasher(parse_keyring("API_TOKEN_HMAC_KEY", ",".join(values)))


def test_tokens_carry_256_random_bits_behind_the_prefix() -> None:
    tokens = {new_api_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(is_api_token(t) and len(t) == 3 + 43 for t in tokens)


def test_a_rotated_ring_still_finds_tokens_made_under_the_old_key() -> None:
    old, new = generate_keyring_value("old"), generate_keyring_value("new")
    token = new_api_token()
    stored = _ring(old).digest(token)
    rotated = _ring(new, old)
    assert rotated.digest(token) != stored  # new tokens are stored under the new key
    assert rotated.candidates(token)[1] == stored  # old ones are still found
    assert stored not in _ring(new).candidates(token)  # dropping the key ends them


def test_the_limiter_keys_an_accepted_token_on_its_owner_only() -> None:
    owners = TokenOwners(_ring(generate_keyring_value()), max_entries=2)
    token = new_api_token()
    header = f"Bearer {token}".encode()
    assert api_token_user_key(header, owners) is None  # never accepted here: the IP only
    owners.remember(owners.hasher.digest(token), "u-1")
    assert api_token_user_key(header, owners) == "user:u-1"
    assert api_token_user_key(b"Bearer fl_" + b"x" * 500, owners) is None
    assert api_token_user_key(b"Basic abc", owners) is None
    for n in range(2):  # bounded: the oldest goes first
        owners.remember(f"digest-{n}", f"u-{n + 2}")
    assert api_token_user_key(header, owners) is None
