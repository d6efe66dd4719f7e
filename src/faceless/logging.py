"""Structured JSON logging for the app, uvicorn and Celery alike.

Every line is one JSON object carrying the request id, user id and client IP
bound for the current request. Secrets are scrubbed from the *final* line, so
arguments, tracebacks and third-party loggers are covered, not just messages.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote, quote_plus

import orjson
import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

_TOKEN_SHAPES = (
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"\bfl_[A-Za-z0-9_-]{16,}"),  # API tokens (security.api_tokens)
    re.compile(r"(?<=://)([^:/@\s]*):[^@\s]+@"),  # credentials in URLs (user may be empty)
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


# Every secret manager in the process registers here (weakly), so any line logged after
# a secret is loaded is scrubbed of it, whichever logger or process role wrote it.
_secret_sources: list[weakref.WeakMethod[Callable[[], list[str]]]] = []
_sources_lock = threading.Lock()


def register_secret_source(loaded_values: Callable[[], list[str]]) -> None:
    """``loaded_values`` is a bound method (e.g. ``SecretManager.loaded_values``)."""
    with _sources_lock:
        _secret_sources[:] = [ref for ref in _secret_sources if ref() is not None]
        _secret_sources.append(weakref.WeakMethod(loaded_values))


def registered_secret_values() -> list[str]:
    values: list[str] = []
    with _sources_lock:
        sources = [ref() for ref in _secret_sources]
    for source in sources:
        if source is not None:
            values.extend(source())
    return values


class RedactingRenderer:
    """Renders JSON, then removes token shapes and every currently loaded secret value."""

    def __init__(self, secret_values: SecretValues | None = None) -> None:
        self._json = structlog.processors.JSONRenderer()
        self._secret_values = secret_values

    def __call__(self, logger: WrappedLogger, name: str, event: EventDict) -> str:
        line = str(self._json(logger, name, event))
        values = list(self._secret_values()) if self._secret_values else []
        return redact(line, [*values, *registered_secret_values()])


@functools.lru_cache(maxsize=256)
def _encoded_forms(value: str) -> tuple[str, ...]:
    """The value as it may appear in a line: raw, URL-quoted or base64, then escaped up
    to twice more by a ``repr`` or JSON (a dict logged as text, then rendered as JSON)."""
    raw = value.encode()
    forms = {
        value,
        quote(value, safe=""),
        quote_plus(value),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    for _ in range(2):
        forms |= {repr(form)[1:-1] for form in forms}
        forms |= {orjson.dumps(form).decode()[1:-1] for form in forms}
    # Longest first, so a form that contains another is replaced whole.
    return tuple(sorted((form for form in forms if len(form) >= 8), key=len, reverse=True))


def redact(line: str, secret_values: Iterable[str] = ()) -> str:
    for value in secret_values:
        if len(value) >= 8:
            for form in _encoded_forms(value):
                line = line.replace(form, REDACTED)
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
