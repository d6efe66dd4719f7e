"""Who is acting: the authenticated user and the sign-in session the request came with.

Plain data, no web framework: runtime, tasks and the audit trail take a ``Principal``
without depending on how a request was authenticated.

A request made with an API token has a principal too: ``session_id`` is then the
token's id and ``scopes`` the token's scopes (``None`` for a password session, whose
role alone decides). ``last_used_at`` is what the database held when the principal
was read (or last touched), so the once-a-minute "last used" write is decided without
asking the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from faceless.auth.scopes import allowed_scopes
from faceless.models import Role, User


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    session_id: uuid.UUID
    scopes: frozenset[str] | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.role == Role.ADMIN

    @property
    def via_api_token(self) -> bool:
        return self.scopes is not None

    @property
    def owner_scope(self) -> uuid.UUID | None:
        """The owner whose rows this principal may see; None for an admin, who sees all."""
        return None if self.is_admin else self.user.id

    def has_scope(self, scope: str) -> bool:
        """The token grants ``scope`` and the owner's current role still allows it."""
        if self.scopes is None:
            return True
        return scope in self.scopes and scope in allowed_scopes(self.user.role)
