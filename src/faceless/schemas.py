"""Base schema types shared by every feature package.

Request bodies forbid unknown fields and reject ``null`` wherever a field has a
default, so a typo or an unexpected key is a 422 instead of being silently dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, field_validator


class RequestModel(BaseModel):
    """Base of every request body: strict about unknown keys, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)


class PatchModel(RequestModel):
    """Base of partial updates: omitted fields stay as they are; ``null`` is refused.

    Fields are typed ``X | None = None`` only so "absent" has a Python value; an
    explicit JSON null is rejected here (API.md: send ``""`` or ``[]`` to clear).
    """

    @field_validator("*", mode="before")
    @classmethod
    def _reject_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("null is not a value for this field; omit it instead")
        return value


class ResponseModel(BaseModel):
    """Base of every response body: built from ORM objects or dicts."""

    model_config = ConfigDict(from_attributes=True)


def _utc_iso(value: datetime) -> str:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat()


UtcDatetime = Annotated[datetime, PlainSerializer(_utc_iso, return_type=str)]
"""A datetime that always serializes as ISO 8601 in UTC with an explicit offset."""
