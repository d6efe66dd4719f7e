"""JSON bodies of documents already shaped as their response model (ADR 0026).

orjson writes UUIDs, enums, aware datetimes (ISO 8601 with an explicit offset) and
floats exactly as our response models serialise them; the database driver's own UUID
subclass (asyncpg's) is the one type it leaves to ``_default``.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson
from fastapi import Response


def _default(value: Any) -> str:
    if isinstance(value, uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a JSON document value")


def json_bytes(document: Any) -> bytes:
    return orjson.dumps(document, default=_default)


def json_response(document: Any) -> Response:
    """``document`` as a finished 200 response, not validated again by the route's
    ``response_model`` (which still documents it)."""
    return Response(json_bytes(document), media_type="application/json")
