from __future__ import annotations

import uuid
from typing import Annotated

from pydantic import Field

from faceless.models import Role
from faceless.schemas import COMPARED_ONLY, PatchModel, RequestModel, ResponseModel, UtcDatetime
from faceless.users.names import USERNAME_PATTERN

Username = Annotated[str, Field(min_length=3, max_length=32, pattern=USERNAME_PATTERN)]
Password = Annotated[str, Field(min_length=1, max_length=1024)]
"""A new password: control characters are refused like in any other text."""
CurrentPassword = Annotated[str, Field(min_length=1, max_length=1024), COMPARED_ONLY]
"""A password to check, never stored: any character, so an old password still works."""
# A pragmatic shape check; deliverability is the mail system's job.
Email = Annotated[
    str,
    Field(
        min_length=3,
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$",
    ),
]


class UserCreate(RequestModel):
    username: Username
    password: Password
    role: Role
    email: Email | None = None


class UserUpdate(PatchModel):
    role: Role | None = None
    disabled: bool | None = None


class UserOut(ResponseModel):
    id: uuid.UUID
    username: str
    email: str | None
    role: Role
    disabled: bool
    created_at: UtcDatetime


class PasswordChange(RequestModel):
    current_password: CurrentPassword
    new_password: Password
