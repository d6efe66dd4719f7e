"""Explicit body parsing for the few endpoints FastAPI's body binding cannot express.

Login accepts JSON or a form; logout's body is optional. Both still answer with
the same problem documents as every other endpoint: 415 for a wrong or missing
content type, 400 for unparseable JSON, 422 for the wrong shape.
"""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from pydantic import BaseModel, ValidationError

from faceless.errors import ProblemError, ValidationProblemError

M = TypeVar("M", bound=BaseModel)

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"


def media_type_of(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def unsupported_media_type() -> ProblemError:
    return ProblemError(415, "The request body must be application/json.")


async def parse_optional_body(request: Request, model: type[M]) -> M | None:
    """Like :func:`parse_body`, but an empty body means "no body"."""
    if not await request.body():
        return None
    return await parse_body(request, model)


async def parse_body(request: Request, model: type[M], *, allow_form: bool = False) -> M:
    raw = await request.body()
    media_type = media_type_of(request)
    if media_type == JSON:
        try:
            data: Any = orjson.loads(raw) if raw else None
        except orjson.JSONDecodeError:
            raise ProblemError(400, "The request body is not valid JSON.") from None
    elif allow_form and media_type == FORM:
        form = await request.form()
        data = {key: value for key, value in form.items() if isinstance(value, str)}
    else:
        raise unsupported_media_type()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationProblemError(
            [{"loc": ["body", *err["loc"]], "msg": err["msg"]} for err in exc.errors()]
        ) from None


def json_body_schema(
    model: type[BaseModel], *, form: bool = False, required: bool = True
) -> dict[str, Any]:
    """OpenAPI ``requestBody`` for an endpoint that parses its body with :func:`parse_body`."""
    schema = model.model_json_schema()
    content: dict[str, Any] = {JSON: {"schema": schema}}
    if form:
        content[FORM] = {"schema": schema}
    return {"requestBody": {"required": required, "content": content}}
