"""Access tokens and mfa tokens are two kinds that never pass for each other."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from faceless.crypto.keys import parse_keyring
from faceless.security.tokens import InvalidTokenError, TokenCodec

RING = parse_keyring("SECRET_KEY", f"kid1:{secrets.token_bytes(32).hex()}")
FIVE_MINUTES = timedelta(seconds=300)


def codec() -> TokenCodec:
    return TokenCodec(
        RING,
        issuer="https://localhost:8443",
        audience="faceless-api",
        lifetime=timedelta(minutes=15),
    )


def test_an_mfa_token_round_trips_with_its_own_type_and_audience() -> None:
    user_id = uuid.uuid4()
    now = datetime.now(UTC)
    token = codec().issue_mfa(user_id=user_id, generation=3, now=now, lifetime=FIVE_MINUTES)
    claims = codec().decode_mfa(token)
    assert claims.user_id == user_id and claims.generation == 3
    assert jwt.get_unverified_header(token)["typ"] == "mfa+jwt"
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload["aud"] == "faceless-api:mfa" and "sid" not in payload
    assert payload["exp"] - payload["iat"] == 300


def test_neither_kind_passes_for_the_other() -> None:
    now = datetime.now(UTC)
    mfa = codec().issue_mfa(user_id=uuid.uuid4(), generation=0, now=now, lifetime=FIVE_MINUTES)
    access = codec().issue(user_id=uuid.uuid4(), session_id=uuid.uuid4(), now=now)
    with pytest.raises(InvalidTokenError):
        codec().decode(mfa)
    with pytest.raises(InvalidTokenError):
        codec().decode_mfa(access)


def test_forged_variants_of_an_mfa_token_are_refused() -> None:
    now = datetime.now(UTC)
    key = RING.current
    base = {
        "iss": "https://localhost:8443",
        "aud": "faceless-api:mfa",
        "sub": str(uuid.uuid4()),
        "gen": 0,
        "iat": int(now.timestamp()),
        "exp": int((now + FIVE_MINUTES).timestamp()),
        "jti": "j",
    }
    header = {"kid": "kid1", "typ": "mfa+jwt"}
    assert codec().decode_mfa(jwt.encode(base, key, algorithm="HS256", headers=header))
    variants = [
        ({**base, "exp": int((now - timedelta(seconds=60)).timestamp())}, header),  # expired
        ({**base, "aud": "faceless-api"}, header),  # an access token's audience
        ({**base, "gen": "0"}, header),  # generation not an integer
        ({k: v for k, v in base.items() if k != "gen"}, header),
        (base, {**header, "typ": "access+jwt"}),
        (base, {**header, "kid": "other"}),
    ]
    for payload, headers in variants:
        with pytest.raises(InvalidTokenError):
            codec().decode_mfa(jwt.encode(payload, key, algorithm="HS256", headers=headers))
    foreign = secrets.token_bytes(32)
    with pytest.raises(InvalidTokenError):
        codec().decode_mfa(jwt.encode(base, foreign, algorithm="HS256", headers=header))
