"""Log lines are JSON, and scrubbed of loaded secret values and token shapes."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from tests.logcapture import captured_logs

SECRET = "kid1:c2VjcmV0LXZhbHVlLXRoYXQtbXVzdC1uZXZlci1sZWFr"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    with captured_logs(secret_values=lambda: [SECRET]) as buffer:
        yield buffer


def test_secrets_and_tokens_never_reach_a_log_line(log_output: io.StringIO) -> None:
    logger = logging.getLogger("faceless.test")
    for level in (logging.DEBUG, logging.INFO, logging.WARNING, logging.ERROR):
        logger.log(level, "value %s and header Bearer %s", SECRET, JWT)
    try:
        raise RuntimeError(f"failed with {SECRET} at postgresql://app:hunter2hunter2@db/app")
    except RuntimeError:
        logger.exception("while connecting")
    output = log_output.getvalue()
    lines = [json.loads(line) for line in output.splitlines()]
    assert len(lines) == 4  # INFO and up
    assert SECRET not in output
    assert JWT not in output
    assert "hunter2hunter2" not in output
    assert "***" in lines[0]["event"]
    assert lines[-1]["level"] == "error"
    assert "RuntimeError" in lines[-1]["exception"]


def test_api_tokens_never_reach_a_log_line(log_output: io.StringIO) -> None:
    token = "fl_" + "Zk9-aQ_7" * 6  # the shape of security.api_tokens.new_api_token
    logging.getLogger("faceless.test").warning("script sent %s in a query string", token)
    output = log_output.getvalue()
    assert "script sent" in output
    assert token not in output and token[3:] not in output
