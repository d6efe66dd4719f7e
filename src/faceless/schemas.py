"""Base schema types shared by every feature package.

Request bodies forbid unknown fields and reject ``null`` wherever a field has a
default, so a typo or an unexpected key is a 422 instead of being silently dropped.

Every request model also inherits two input rules, whatever its fields are and
whenever they were added (ADR 0013):

- Text refuses control characters (C0 and DEL) with a 422. A NUL would be a 500 on
  PostgreSQL and stored as is on SQLite; the others have no place in a title or a
  name either. A field widens the rule with a marker in its type: ``MULTILINE`` lets
  ``\\n``, ``\\r`` and ``\\t`` through (descriptions, scripts); ``COMPARED_ONLY`` lets
  anything through, for input that is only compared with what is stored and never
  stored, logged or shown itself (a password being checked, a username at login,
  where a malformed one must get the same 401 as a wrong password).
- Booleans are JSON booleans: ``"true"``, ``1`` or ``"yes"`` are a 422, not coerced.
  Only a plain ``bool`` (or ``bool | None``) field can be checked this way, so a model
  with a boolean inside a container is refused when it is defined.

No OpenAPI text comes from a docstring: the API process runs under ``python -OO``,
which strips them (ADR 0033). A model whose schema has a description assigns
``__doc__`` in its class body instead of writing a docstring: pydantic reads
``cls.__doc__`` either way, so the schema is the same, and a subclass does not inherit it
(a ``json_schema_extra`` description would be inherited). An endpoint passes
``description=`` to its route decorator.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from types import NoneType, UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, PlainSerializer, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError


@dataclass(frozen=True, slots=True)
class ControlCharacters:
    """Which control characters a text field accepts: a marker for ``Annotated`` types."""

    allowed: frozenset[str] = frozenset()
    checked: bool = True


MULTILINE = ControlCharacters(allowed=frozenset("\n\r\t"))
"""Multi-line text: line breaks and tabs are allowed, other control characters are not."""
COMPARED_ONLY = ControlCharacters(checked=False)
"""Input only compared with stored values, never stored or shown: any character."""
_NONE_ALLOWED = ControlCharacters()

_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


class RequestModel(BaseModel):
    """Base of every request body: strict about unknown keys, immutable once parsed."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        for name, field in cls.model_fields.items():
            if _contains_bool(field.annotation) and not _is_plain_bool(field.annotation):
                raise TypeError(
                    f"{cls.__name__}.{name}: a boolean inside a container would accept "
                    '"true" and 1; use a plain bool field'
                )

    @field_validator("*", mode="before")
    @classmethod
    def _json_booleans(cls, value: object, info: ValidationInfo) -> object:
        if (
            value is not None
            and not isinstance(value, bool)
            and info.field_name is not None
            and _is_plain_bool(cls.model_fields[info.field_name].annotation)
        ):
            raise PydanticCustomError("bool_type", "Input should be a JSON boolean, true or false")
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: object, info: ValidationInfo) -> object:
        if info.field_name is None:
            return value
        rule = _text_rule(cls, info.field_name)
        if rule.checked:
            for text in _strings_in(value):
                _refuse_control_characters(text, rule.allowed)
        return value


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


# -- the input rules' helpers ----------------------------------------------------------


def _metadata(annotation: object) -> Iterator[object]:
    """Every ``Annotated`` metadata object anywhere in a type."""
    if get_origin(annotation) is Annotated:
        base, *extras = get_args(annotation)
        yield from extras
        yield from _metadata(base)
        return
    for argument in get_args(annotation):
        yield from _metadata(argument)


def _bare(annotation: object) -> object:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_plain_bool(annotation: object) -> bool:
    annotation = _bare(annotation)
    if get_origin(annotation) in (Union, UnionType):
        members = {_bare(member) for member in get_args(annotation)} - {NoneType}
        return members == {bool}
    return annotation is bool


def _contains_bool(annotation: object) -> bool:
    annotation = _bare(annotation)
    return annotation is bool or any(_contains_bool(arg) for arg in get_args(annotation))


@cache
def _text_rule(model: type[BaseModel], field_name: str) -> ControlCharacters:
    field = model.model_fields[field_name]
    markers = [*field.metadata, *_metadata(field.annotation)]
    return next((m for m in markers if isinstance(m, ControlCharacters)), _NONE_ALLOWED)


def _strings_in(value: object) -> Iterator[str]:
    # Nested request models check their own fields; these are the plain containers.
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings_in(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings_in(key)
            yield from _strings_in(item)


def _refuse_control_characters(text: str, allowed: frozenset[str]) -> None:
    for match in _CONTROL_CHARACTER.finditer(text):
        if match.group() not in allowed:
            raise PydanticCustomError(
                "control_character",
                "control characters are not allowed{besides} (found {character})",
                {
                    "besides": " other than line breaks and tabs" if allowed else "",
                    "character": f"U+{ord(match.group()):04X}",
                },
            )
