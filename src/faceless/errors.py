"""Domain errors that carry the HTTP status they map to, free of any web framework.

Runtime and repositories raise these; :mod:`faceless.problems` turns them (and every
other error) into RFC 9457 problem documents at the HTTP boundary.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

# Validation problems name at most this many errors, so a huge bad body costs a bounded answer.
MAX_REPORTED_ERRORS = 50


class ProblemError(Exception):
    """A domain error with the HTTP status it maps to. ``detail`` is shown to the client."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        title: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.title = title or HTTPStatus(status).phrase
        self.headers = dict(headers or {})
        # Extension members of the problem document (RFC 9457 section 3.2).
        self.extra = dict(extra or {})


def not_found(what: str = "resource") -> ProblemError:
    return ProblemError(404, f"The {what} was not found.")


def conflict(detail: str) -> ProblemError:
    return ProblemError(409, detail)


def unprocessable(detail: str, *, loc: Sequence[str | int] = ("body",)) -> ValidationProblemError:
    return ValidationProblemError([{"loc": list(loc), "msg": detail}])


class ValidationProblemError(ProblemError):
    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(422, "The request did not match the schema.")
        self.errors = errors[:MAX_REPORTED_ERRORS]
        self.extra["errors"] = self.errors
