"""Publishing test fixtures: a fresh PostgreSQL database per test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.fixtures import PostgresCluster


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster, pg_template: str) -> Iterator[str]:
    name = "p_" + uuid.uuid4().hex[:12]
    pg_cluster.create_database(name, template=pg_template)
    yield pg_cluster.dsn(name)
    pg_cluster.drop_database(name)
