"""A cluster set up the way deploy/postgres sets one up, shared by the hardening tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.db.hardened import HardenedDatabase, hardened_cluster, hardened_database
from tests.fixtures import PostgresCluster


@pytest.fixture(scope="session")
def hardened_pg() -> Iterator[PostgresCluster]:
    with hardened_cluster() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def hardened_db(hardened_pg: PostgresCluster) -> HardenedDatabase:
    return hardened_database(hardened_pg, "faceless")
