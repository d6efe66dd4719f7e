"""Structured JSON logging for the app, uvicorn and Celery alike.

Every line is one JSON object carrying the request id bound for the current request.
Secrets are scrubbed from the *final* line, so arguments, tracebacks and third-party
loggers are covered, not just messages.

Our own lines are written as events with fields (``get_logger(name).info("event",
key=value)``), on the standard library's loggers, and one formatter renders every
record, ours and the libraries', as JSON. This was structlog's stdlib integration; it
is done here because importing structlog imports Rich and Pygments (its development
console renderer's tracebacks), about 8 MB an API process never used (issue 11).
"""

from __future__ import annotations

import asyncio
import atexit
import base64
import functools
import json
import logging
import re
import sys
import threading
import weakref
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from urllib.parse import quote, quote_plus

import orjson

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


# The record attribute that carries an event's fields (see EventLogger).
_FIELDS = "faceless_fields"


class AccessLog:
    """One JSON line per request, written to stderr once per turn of the event loop.

    The request path pays only for ``orjson.dumps``: no LogRecord, no handler chain, no
    redaction pass (every field here is ours, never free text). The lines of the
    requests that finish in one turn of the loop leave in one write, at the start of the
    next turn (under load, one system call for several requests instead of one each;
    issue 11); without a running loop, and at shutdown, a line is written at once.
    """

    def __init__(self) -> None:
        self.enabled = True
        self._pending: list[bytes] = []
        atexit.register(self.flush)

    def disable(self) -> None:
        self.enabled = False

    def emit(self, fields: dict[str, object]) -> None:
        self._pending.append(orjson.dumps(fields, option=orjson.OPT_APPEND_NEWLINE))
        if len(self._pending) > 1:
            return  # a flush is already scheduled for this turn
        try:
            asyncio.get_running_loop().call_soon(self.flush)
        except RuntimeError:  # no loop: nothing would ever flush it
            self.flush()

    def flush(self) -> None:
        if not self._pending:
            return
        lines = b"".join(self._pending)
        self._pending.clear()
        stream = sys.stderr
        stream.write(lines.decode())
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


class JsonFormatter(logging.Formatter):
    """Every record as one JSON line: its fields, then ``event``, ``request_id``,
    ``level``, ``logger``, ``timestamp`` (ISO, UTC) and ``exception``; then redacted of
    token shapes and every currently loaded secret value."""

    def __init__(self, secret_values: SecretValues | None = None) -> None:
        super().__init__()
        self._secret_values = secret_values

    def format(self, record: logging.LogRecord) -> str:
        event: dict[str, object] = {**getattr(record, _FIELDS, {}), "event": record.getMessage()}
        request_id = REQUEST_ID.get()
        if request_id is not None:
            event.setdefault("request_id", request_id)
        event["level"] = record.levelname.lower()
        event["logger"] = record.name
        timestamp = datetime.fromtimestamp(record.created, UTC).isoformat()
        event["timestamp"] = timestamp.replace("+00:00", "Z")
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        # Anything JSON cannot carry is shown as its repr (a Secret's hides its value).
        line = json.dumps(event, default=repr)
        values = list(self._secret_values()) if self._secret_values else []
        return redact(line, [*values, *registered_secret_values()])


class EventLogger:
    """``info("event", key=value)``: a record whose fields the JSON formatter writes."""

    __slots__ = ("_logger",)

    def __init__(self, name: str) -> None:
        self._logger = logging.getLogger(name)

    def _log(self, level: int, event: str, fields: dict[str, object], *, exc: bool) -> None:
        if self._logger.isEnabledFor(level):
            # stacklevel: the record names the caller, not this wrapper.
            self._logger.log(level, event, exc_info=exc, extra={_FIELDS: fields}, stacklevel=3)

    def debug(self, event: str, **fields: object) -> None:
        self._log(logging.DEBUG, event, fields, exc=False)

    def info(self, event: str, **fields: object) -> None:
        self._log(logging.INFO, event, fields, exc=False)

    def warning(self, event: str, **fields: object) -> None:
        self._log(logging.WARNING, event, fields, exc=False)

    def error(self, event: str, **fields: object) -> None:
        self._log(logging.ERROR, event, fields, exc=False)

    def exception(self, event: str, **fields: object) -> None:
        """An error with the exception being handled."""
        self._log(logging.ERROR, event, fields, exc=True)


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
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(secret_values))
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


def get_logger(name: str) -> EventLogger:
    return EventLogger(name)
