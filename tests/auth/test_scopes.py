"""The scope vocabulary: one list, the request schema's type kept in step, roles within it."""

from __future__ import annotations

import uuid
from typing import get_args

import pytest

from faceless.auth.api_tokens.schemas import ScopeName
from faceless.auth.principal import Principal
from faceless.auth.scopes import ROLE_SCOPES, SCOPES, allowed_scopes
from faceless.models import Role, User


def test_the_schema_accepts_exactly_the_scopes_of_api_md() -> None:
    assert get_args(ScopeName) == SCOPES
    assert SCOPES == (
        "videos:read",
        "videos:write",
        "analyze",
        "transcribe",
        "jobs:read",
        "jobs:write",
        "schedule:read",
        "schedule:write",
    )


def test_every_role_has_its_scopes_and_a_viewer_only_reads_and_analyses() -> None:
    assert set(ROLE_SCOPES) == set(Role)
    assert allowed_scopes(Role.ADMIN) == allowed_scopes(Role.EDITOR) == frozenset(SCOPES)
    assert allowed_scopes(Role.VIEWER) == {"videos:read", "analyze", "jobs:read", "schedule:read"}


@pytest.mark.parametrize(
    ("role", "scopes", "scope", "allowed"),
    [
        (Role.EDITOR, None, "videos:write", True),  # a session: the route's role decides
        (Role.EDITOR, frozenset({"videos:write"}), "videos:write", True),
        (Role.EDITOR, frozenset({"videos:read"}), "videos:write", False),
        (Role.VIEWER, frozenset({"videos:write"}), "videos:write", False),  # demoted owner
        (Role.VIEWER, frozenset({"videos:read"}), "videos:read", True),
    ],
)
def test_a_request_needs_the_scope_and_the_owners_current_role(
    role: Role, scopes: frozenset[str] | None, scope: str, allowed: bool
) -> None:
    user = User(username="someone", role=role, password_hash="x", disabled=False)
    principal = Principal(user=user, session_id=uuid.uuid4(), scopes=scopes)
    assert principal.has_scope(scope) is allowed
    assert principal.via_api_token is (scopes is not None)
