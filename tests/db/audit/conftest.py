from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import make_url

from faceless.db.engine import is_sqlite
from faceless.runtime.container import Runtime, build_runtime
from faceless.settings import Settings
from tests.fixtures.postgres import PostgresCluster


@pytest.fixture
async def bare_services(settings: Settings) -> AsyncIterator[Runtime]:
    """Runtime without the app (no lifespan, so no exporter of its own)."""
    services = build_runtime(settings)
    try:
        yield services
    finally:
        await services.close()


@pytest.fixture
def superuser_url(request: pytest.FixtureRequest, database_url: str) -> str:
    """The same database as the database superuser: the attacker the export defends against."""
    if is_sqlite(database_url):
        return database_url
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = make_url(database_url).database
    assert name is not None
    return cluster.dsn(name)
