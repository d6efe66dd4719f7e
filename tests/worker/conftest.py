"""Worker test fixtures: a fresh PostgreSQL database per test and speech to transcribe."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures import PostgresCluster
from tests.worker.support import LONG_TEXT, MEDIUM_TEXT, SHORT_TEXT, espeak_wav


@pytest.fixture(scope="session")
def speech_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("worker-speech")


@pytest.fixture(scope="session")
def short_wav(speech_dir: Path) -> Path:
    """About 4 s of speech: a few seconds of recognition."""
    return espeak_wav(speech_dir, "short", SHORT_TEXT)


@pytest.fixture(scope="session")
def medium_wav(speech_dir: Path) -> Path:
    """About 9 s of speech: still running a moment after it starts."""
    return espeak_wav(speech_dir, "medium", MEDIUM_TEXT)


@pytest.fixture(scope="session")
def long_wav(speech_dir: Path) -> Path:
    """About 50 s of speech: recognition runs long enough to be cancelled or killed."""
    return espeak_wav(speech_dir, "long", LONG_TEXT)


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster, pg_template: str) -> Iterator[str]:
    name = "w_" + uuid.uuid4().hex[:12]
    pg_cluster.create_database(name, template=pg_template)
    yield pg_cluster.dsn(name)
    pg_cluster.drop_database(name)
