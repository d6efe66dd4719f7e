"""Structured JSON logging for the app, uvicorn and Celery alike.

Every line is one JSON object carrying the request id, user id and client IP
bound for the current request. Secrets are scrubbed from the *final* line, so
arguments, tracebacks and third-party loggers are covered, not just messages.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

_TOKEN_SHAPES = (
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"(?<=://)([^:/@\s]+):[^@\s]+@"),  # credentials in URLs
)
REDACTED = "***"

SecretValues = Callable[[], Iterable[str]]

# The current request's id; set once per request by the request-id middleware and
# added to every log line by a processor, which costs nothing when nothing is logged.
REQUEST_ID: ContextVar[str | None] = ContextVar("faceless_request_id", default=None)


def _add_request_id(logger: WrappedLogger, name: str, event: EventDict) -> EventDict:
    request_id = REQUEST_ID.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


class AccessLog:
    """One JSON line per request, written straight to stderr.

    The request path pays only for ``orjson.dumps`` and one write: no LogRecord, no
    handler chain, no redaction pass (every field here is ours, never free text).
    """

    def __init__(self) -> None:
        self.enabled = True

    def disable(self) -> None:
        self.enabled = False

    def emit(self, fields: dict[str, object]) -> None:
        stream = sys.stderr
        stream.write(orjson.dumps(fields).decode() + "\n")
        stream.flush()


access_log = AccessLog()


class RedactingRenderer:
    """Renders JSON, then removes token shapes and every currently loaded secret value."""

    def __init__(self, secret_values: SecretValues | None = None) -> None:
        self._json = structlog.processors.JSONRenderer()
        self._secret_values = secret_values

    def __call__(self, logger: WrappedLogger, name: str, event: EventDict) -> str:
        line = str(self._json(logger, name, event))
        return redact(line, self._secret_values() if self._secret_values else ())


def redact(line: str, secret_values: Iterable[str] = ()) -> str:
    for value in secret_values:
        if len(value) >= 8:
            line = line.replace(value, REDACTED)
    for pattern in _TOKEN_SHAPES:
        line = pattern.sub(lambda m: REDACTED + ("@" if m.group(0).endswith("@") else ""), line)
    return line


def configure_logging(level: str = "INFO", secret_values: SecretValues | None = None) -> None:
    # Records need none of these, and collecting them costs on every log call
    # (the logging cookbook's "Optimization" section).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            RedactingRenderer(secret_values),
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "celery"):
        lib_logger = logging.getLogger(name)
        lib_logger.handlers[:] = []
        lib_logger.propagate = True
    # faceless.access already writes one line per request; uvicorn's would double it.
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers[:] = []
    uvicorn_access.propagate = False


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
