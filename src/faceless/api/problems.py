"""How error answers are declared in the OpenAPI schema: RFC 9457 problem documents.

Every 4xx the API sends is ``application/problem+json`` (see ``faceless.errors``);
declaring that once for every route keeps the published schema true to the wire,
instead of FastAPI's default ``422 HTTPValidationError`` (a shape never sent).
"""

from __future__ import annotations

from typing import Any

PROBLEM_JSON = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["type", "title", "status", "detail", "request_id"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "request_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                },
            },
        },
    },
}


def problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}}


# For every route: any client error is a problem document.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": problem_response(
        "A problem document: 400 malformed, 401, 403, 404, 405, 409, 413, 415, "
        "422 schema violation (with `errors`), 423 locked, 429 rate limited"
    )
}

# For the fail-closed rate-limit tiers (login, refresh): the limiter's storage is down.
UNAVAILABLE_RESPONSES: dict[int | str, dict[str, Any]] = {
    503: problem_response("Temporarily unavailable; retry after `Retry-After` seconds")
}
