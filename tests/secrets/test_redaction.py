"""Every loaded secret is scrubbed from every log line, whichever logger wrote it.

Secrets are logged on purpose, raw and encoded, at every level, through the root logger,
uvicorn's and Celery's loggers and our event loggers (with fields), and inside
exceptions; then the output is grepped for each value and its encodings.
"""

from __future__ import annotations

import base64
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from faceless.logging import get_logger, register_secret_source
from faceless.secrets import SecretManager
from faceless.secrets.files import FilesBackend
from faceless.settings import DatabaseSettings, RedisSettings, Settings
from tests.logcapture import captured_logs
from tests.secrets.test_manager import write_secret

VALUES = {
    "SECRET_KEY": "2026-11:q8Vx3JmN0bT5rLk2Wc7yZp4uHs9dFa6e",
    "DATABASE_URL": "postgresql+asyncpg://app:p%40ss!w0rd-Qz7@db.internal/app",
    "ANTHROPIC_API_KEY": "sk-ant-api03-Zm9vYmFyYmF6cXV4LXRlc3Qta2V5LTAwMDE",
    "METRICS_TOKEN": 'tok"with\\quotes-and-more-than-32-chars!',
}
LOGGERS = ("faceless.test", "uvicorn", "uvicorn.error", "celery", "celery.app.trace", "")
LEVELS = (logging.INFO, logging.WARNING, logging.ERROR, logging.CRITICAL)


def forms(value: str) -> list[str]:
    raw = value.encode()
    return [
        value,
        quote(value, safe=""),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        json.dumps(value)[1:-1],
    ]


@pytest.fixture
def manager(tmp_path: Path) -> SecretManager:
    for name, value in VALUES.items():
        write_secret(tmp_path, name, value)
    manager = SecretManager([FilesBackend(tmp_path)])
    for name in VALUES:
        manager.require(name)
    return manager


@pytest.fixture
def output(manager: SecretManager) -> Iterator[io.StringIO]:
    # As in production: the manager registers itself; nothing is passed explicitly.
    register_secret_source(manager.loaded_values)
    with captured_logs() as buffer:
        yield buffer


def test_every_logger_level_and_encoding_is_scrubbed(output: io.StringIO) -> None:
    lines = 0
    for name in LOGGERS:
        logger = logging.getLogger(name)
        for level in LEVELS:
            for value in VALUES.values():
                for form in forms(value):
                    logger.log(level, "value=%s", form)
                    logger.log(level, "inline %s", {"nested": [form]})
                    lines += 2
    text = output.getvalue()
    assert len(text.splitlines()) == lines
    for value in VALUES.values():
        for form in forms(value):
            assert form not in text
    assert text.count("***") >= lines


def test_exceptions_and_tracebacks_are_scrubbed(output: io.StringIO) -> None:
    url = VALUES["DATABASE_URL"]
    for name in LOGGERS:
        try:
            try:
                raise ConnectionError(f"cannot reach {url}")
            except ConnectionError as inner:
                raise RuntimeError(f"token {VALUES['ANTHROPIC_API_KEY']}") from inner
        except RuntimeError:
            logging.getLogger(name).exception("failed with key %s", VALUES["SECRET_KEY"])
    get_logger("faceless.test").error(
        "event line", key=VALUES["METRICS_TOKEN"], header=f"Bearer {VALUES['SECRET_KEY']}"
    )
    text = output.getvalue()
    records = [json.loads(line) for line in text.splitlines()]
    assert len(records) == len(LOGGERS) + 1
    assert all("ConnectionError" in r["exception"] for r in records[:-1])
    for value in VALUES.values():
        for form in forms(value):
            assert form not in text
    assert "p%40ss!w0rd-Qz7" not in text and "p@ss!w0rd-Qz7" not in text


def test_token_shapes_are_scrubbed_even_when_not_loaded(output: io.StringIO) -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXVua25vd24"
    logging.getLogger("uvicorn.error").warning(
        "Authorization: Bearer opaque-refresh-token-123 jwt=%s "
        "redis=redis://:redis-pass-881@cache:6379/0 pg=postgresql://u:pg-pass-992@h/d",
        jwt,
    )
    text = output.getvalue()
    for leaked in ("opaque-refresh-token-123", jwt, "redis-pass-881", "pg-pass-992"):
        assert leaked not in text


def test_settings_repr_and_dumps_hold_no_urls_with_passwords() -> None:
    settings = Settings(
        database=DatabaseSettings(url=VALUES["DATABASE_URL"], migration_url=VALUES["DATABASE_URL"]),
        redis=RedisSettings(url="redis://:redis-pass-881@cache:6379/0"),
    )
    for text in (repr(settings), str(settings), repr(settings.database), repr(settings.redis)):
        assert "p%40ss" not in text and "redis-pass-881" not in text
