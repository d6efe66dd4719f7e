"""The production logging set-up (JSON, redacted), writing into a buffer for assertions."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator

from faceless.logging import SecretValues, configure_logging


@contextlib.contextmanager
def captured_logs(secret_values: SecretValues | None = None) -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    configure_logging(secret_values=secret_values)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    try:
        yield buffer
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
