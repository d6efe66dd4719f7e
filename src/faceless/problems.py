"""RFC 9457 problem documents for every error the API returns.

Handlers here turn router errors, validation errors, domain errors and unhandled
exceptions into ``application/problem+json``. Nothing internal (stack, SQL, paths,
input values) ever reaches a client; the request id ties the answer to the log.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from faceless.errors import MAX_REPORTED_ERRORS, ProblemError
from faceless.security import request_state

PROBLEM_JSON = "application/problem+json"

logger = logging.getLogger("faceless.errors")


def problem_response(
    status: int,
    detail: str,
    *,
    request_id: str | None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        "request_id": request_id,
    }
    if extra:
        body.update(extra)
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_JSON
    )


def _validation_errors(exc: RequestValidationError) -> tuple[int, list[dict[str, Any]]]:
    errors = []
    status = 422
    # A small body can hold thousands of invalid items; the answer stays small.
    for error in exc.errors()[:MAX_REPORTED_ERRORS]:
        if error.get("type") == "json_invalid":
            status = 400
        # Only location and message: pydantic's "input" would echo the client's data back.
        errors.append({"loc": list(error.get("loc", ())), "msg": str(error.get("msg", ""))})
    return status, errors


async def _handle_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    return problem_response(
        exc.status,
        exc.detail,
        title=exc.title,
        headers=exc.headers,
        request_id=request_state.request_id(request.scope),
        extra=exc.extra,
    )


async def _handle_http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(status).phrase
    if status == 404:
        detail = "The requested resource was not found."
    elif status == 405:
        detail = "The method is not allowed for this resource."
    return problem_response(
        status, detail, headers=exc.headers, request_id=request_state.request_id(request.scope)
    )


async def _handle_validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
        # A malformed id names no resource: 404, as for any other unknown id.
        return problem_response(
            404,
            "The requested resource was not found.",
            request_id=request_state.request_id(request.scope),
        )
    status, errors = _validation_errors(exc)
    detail = (
        "The request body is not valid JSON."
        if status == 400
        else "The request did not match the schema."
    )
    return problem_response(
        status,
        detail,
        request_id=request_state.request_id(request.scope),
        extra={"errors": errors} if status == 422 else None,
    )


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    request_id = request_state.request_id(request.scope)
    logger.error("unhandled exception", exc_info=exc, extra={"request_id": request_id})
    # Starlette answers this from ServerErrorMiddleware, outside every middleware of ours,
    # so the headers they would add (security headers, request id) are added here.
    by_scheme = getattr(request.app.state, "error_headers", {})
    headers = dict(by_scheme.get(request.url.scheme, {}))
    if request_id:
        headers["X-Request-ID"] = request_id
    return problem_response(
        500,
        "An unexpected error occurred. Quote the request id when reporting it.",
        request_id=request_id,
        headers=headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _handle_problem)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(Exception, _handle_unexpected)
