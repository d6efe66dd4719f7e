"""Each request holds at most one pooled connection at a time, so load beyond the pool
queues briefly instead of deadlocking (auth read + write would otherwise need two)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from faceless.settings import DatabaseSettings
from tests.conftest import Accounts, make_settings, running_app
from tests.fixtures.postgres import PostgresCluster


@pytest.mark.postgres
@pytest.mark.timeout(120)
async def test_writes_beyond_the_pool_size_all_complete(
    tmp_path: Path, pg_cluster: PostgresCluster, pg_template: str
) -> None:
    pg_cluster.create_database("pool_test", template=pg_template)
    settings = make_settings(tmp_path, pg_cluster.dsn("pool_test"))
    # Two pooled connections plus two overflow; 24 concurrent writes.
    settings = settings.model_copy(
        update={"database": DatabaseSettings(url=pg_cluster.dsn("pool_test"), pool_size=2)}
    )
    async with running_app(settings) as (services, http):
        headers = await Accounts(services, http).headers("pooluser")

        async def create(index: int) -> int:
            response = await http.post(
                "/api/v1/videos", json={"title": f"video {index}"}, headers=headers
            )
            return response.status_code

        statuses = await asyncio.wait_for(
            asyncio.gather(*(create(i) for i in range(24))), timeout=60
        )
        assert statuses == [201] * 24
        listed = await http.get("/api/v1/videos?limit=100", headers=headers)
        assert listed.json()["total"] == 24
    pg_cluster.drop_database("pool_test")
