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
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

_TOKEN_SHAPES = (
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"(?<=://)([^:/@\s]+):[^@\s]+@"),  # credentials in URLs
)
REDACTED = "***"

SecretValues = Callable[[], Iterable[str]]


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
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
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
    access = logging.getLogger("faceless.access")
    access_handler = logging.StreamHandler(sys.stderr)
    access_handler.setFormatter(logging.Formatter("%(message)s"))  # already JSON
    access.handlers[:] = [access_handler]
    access.propagate = False
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "celery"):
        lib_logger = logging.getLogger(name)
        lib_logger.handlers[:] = []
        lib_logger.propagate = True


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
