"""Bounded pagination and the list envelope every list endpoint returns.

Out-of-range values are a 422, never clamped (API.md), so a client's bug shows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Response

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


def envelope_response(
    schema: type[S], rows: Iterable[object], total: int, page: PageParams
) -> Response:
    """The list envelope as a finished JSON response, each item validated once.

    Returned as a ``Response``, the body is not validated and encoded a second time
    against the route's ``response_model`` (which still documents it): the items were
    just validated into ``schema``, and the envelope's own fields are ours.
    """
    body = ListEnvelope[schema].model_construct(  # type: ignore[valid-type]
        items=[schema.model_validate(row) for row in rows],
        total=total,
        limit=page.limit,
        offset=page.offset,
    )
    return model_response(body)


def model_response(body: ResponseModel) -> Response:
    """``body`` as a finished JSON response: serialised once, not validated again by the
    route's ``response_model`` (which still documents it)."""
    return Response(body.__pydantic_serializer__.to_json(body), media_type="application/json")
