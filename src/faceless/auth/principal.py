"""Who is acting: the authenticated user and the sign-in session the request came with.

Plain data, no web framework: runtime, tasks and the audit trail take a ``Principal``
without depending on how a request was authenticated.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from faceless.models import Role, User


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    session_id: uuid.UUID

    @property
    def id(self) -> uuid.UUID:
        return self.user.id

    @property
    def is_admin(self) -> bool:
        return self.user.role == Role.ADMIN

    @property
    def owner_scope(self) -> uuid.UUID | None:
        """The owner whose rows this principal may see; None for an admin, who sees all."""
        return None if self.is_admin else self.user.id
