"""Access tokens: a verified token is remembered, never past its expiry or its key."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from faceless.crypto.keys import Keyring
from faceless.security.tokens import InvalidTokenError, TokenCodec


def _keyring(*kids: str) -> Keyring:
    return Keyring(current_kid=kids[0], keys={kid: os.urandom(32) for kid in kids})


def _codec(keyring: Keyring, lifetime: timedelta = timedelta(minutes=15)) -> TokenCodec:
    return TokenCodec(keyring, issuer="https://issuer", audience="api", lifetime=lifetime)


def test_a_remembered_token_stops_when_its_key_is_retired() -> None:
    both = _keyring("new", "old")
    codec = _codec(Keyring(current_kid="old", keys=both.keys))
    token = codec.issue(user_id=uuid.uuid4(), session_id=uuid.uuid4(), now=datetime.now(UTC))
    assert codec.decode(token) == codec.decode(token)  # verified, then remembered
    codec.use_keyring(Keyring(current_kid="new", keys={"new": both.keys["new"]}))
    with pytest.raises(InvalidTokenError):
        codec.decode(token)


def test_a_remembered_token_stops_at_its_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = _codec(_keyring("k1"), lifetime=timedelta(seconds=60))
    now = datetime.now(UTC)
    token = codec.issue(user_id=uuid.uuid4(), session_id=uuid.uuid4(), now=now)
    claims = codec.decode(token)
    clock = now.timestamp() + 60 + 6  # past exp and the 5 s leeway
    monkeypatch.setattr("faceless.security.tokens.time.time", lambda: clock)
    monkeypatch.setattr("jwt.api_jwt.datetime", _FrozenDatetime(clock))
    with pytest.raises(InvalidTokenError):
        codec.decode(token)
    assert claims.expires_at == int(now.timestamp()) + 60


def test_a_tampered_token_is_refused_although_its_original_is_remembered() -> None:
    codec = _codec(_keyring("k1"))
    token = codec.issue(user_id=uuid.uuid4(), session_id=uuid.uuid4(), now=datetime.now(UTC))
    codec.decode(token)
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    with pytest.raises(InvalidTokenError):
        codec.decode(forged)


class _FrozenDatetime:
    """Stands in for ``datetime`` inside PyJWT so its own expiry check sees the same clock."""

    def __init__(self, timestamp: float) -> None:
        self._now = datetime.fromtimestamp(timestamp, UTC)

    def now(self, tz: object = None) -> datetime:
        return self._now

    def __getattr__(self, name: str) -> object:
        return getattr(datetime, name)
