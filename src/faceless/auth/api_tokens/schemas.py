from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import Field, field_validator

from faceless.schemas import RequestModel, ResponseModel, UtcDatetime

# The vocabulary of ``auth.scopes.SCOPES``, as a type (a test keeps the two in step).
ScopeName = Literal[
    "videos:read",
    "videos:write",
    "analyze",
    "transcribe",
    "jobs:read",
    "jobs:write",
    "schedule:read",
    "schedule:write",
]
DEFAULT_EXPIRY_DAYS = 90


class TokenCreate(RequestModel):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    scopes: Annotated[list[ScopeName], Field(min_length=1, max_length=8)]
    expires_in_days: Annotated[int, Field(ge=1, le=365)] = DEFAULT_EXPIRY_DAYS

    @field_validator("scopes")
    @classmethod
    def _distinct(cls, scopes: list[ScopeName]) -> list[ScopeName]:
        if len(set(scopes)) != len(scopes):
            raise ValueError("each scope may appear once")
        return scopes

    @field_validator("name")
    @classmethod
    def _not_blank(cls, name: str) -> str:
        if not name.strip():
            raise ValueError("the name must not be blank")
        return name


class TokenOut(ResponseModel):
    id: uuid.UUID
    name: str
    scopes: list[str]
    created_at: UtcDatetime
    expires_at: UtcDatetime
    last_used_at: UtcDatetime | None


class CreatedToken(TokenOut):
    # Shown in this answer only: the database keeps its HMAC.
    token: str
