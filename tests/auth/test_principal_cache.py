"""The principal cache answers only under the generation its entry was read with."""

from __future__ import annotations

import uuid

import pytest

from faceless.auth.principal import Principal
from faceless.auth.principal_cache import PrincipalCache
from faceless.models import Role, User


def _principal() -> Principal:
    user = User(id=uuid.uuid4(), username="someone", role=Role.EDITOR, disabled=False)
    return Principal(user=user, session_id=uuid.uuid4())


def test_an_entry_counts_only_under_its_own_generation() -> None:
    cache = PrincipalCache()
    principal = _principal()
    cache.put(principal, "7")
    assert cache.get(principal.session_id, principal.id, "7") is principal
    assert cache.get(principal.session_id, principal.id, "8") is None
    # The stale entry is gone: the old generation does not bring it back.
    assert cache.get(principal.session_id, principal.id, "7") is None
    assert len(cache) == 0


def test_a_token_for_another_user_with_the_same_session_id_is_a_miss() -> None:
    cache = PrincipalCache()
    principal = _principal()
    cache.put(principal, "1")
    assert cache.get(principal.session_id, uuid.uuid4(), "1") is None


def test_the_cache_is_bounded_and_drops_the_oldest() -> None:
    cache = PrincipalCache(max_entries=3)
    principals = [_principal() for _ in range(5)]
    for principal in principals:
        cache.put(principal, "1")
    assert len(cache) == 3
    assert cache.get(principals[0].session_id, principals[0].id, "1") is None
    assert cache.get(principals[4].session_id, principals[4].id, "1") is principals[4]


def test_entries_expire_after_the_backstop_age(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("faceless.auth.principal_cache.time.monotonic", lambda: clock[0])
    cache = PrincipalCache(max_age=60)
    principal = _principal()
    cache.put(principal, "1")
    clock[0] += 59
    assert cache.get(principal.session_id, principal.id, "1") is principal
    clock[0] += 2
    assert cache.get(principal.session_id, principal.id, "1") is None
