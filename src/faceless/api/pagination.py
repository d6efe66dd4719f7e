"""Bounded pagination and the list envelope every list endpoint returns.

Out-of-range values are a 422, never clamped (API.md), so a client's bug shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query, Response

from faceless.api.json_body import json_response
from faceless.schemas import ResponseModel

T = TypeVar("T")

MAX_LIMIT = 100
DEFAULT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class PageParams:
    limit: int
    offset: int


async def _page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


Page = Annotated[PageParams, Depends(_page_params)]


class ListEnvelope(ResponseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


S = TypeVar("S", bound=ResponseModel)


def envelope(
    schema: type[S], rows: Iterable[object], total: int, page: PageParams
) -> ListEnvelope[S]:
    return ListEnvelope[schema](  # type: ignore[valid-type]
        items=[schema.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )


def documents_response(items: list[dict[str, Any]], total: int, page: PageParams) -> Response:
    """The list envelope of items already shaped as their model's documents (ADR 0026)."""
    return json_response(
        {"items": items, "total": total, "limit": page.limit, "offset": page.offset}
    )
