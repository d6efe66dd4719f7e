"""``faceless_db_pool_connections_in_use`` follows the pool: up on checkout, down on return."""

from __future__ import annotations

from faceless.db.engine import create_engine
from faceless.metrics.instruments import REGISTRY


def in_use() -> float:
    return REGISTRY.get_sample_value("faceless_db_pool_connections_in_use", {}) or 0.0


async def test_the_gauge_counts_checked_out_connections(database_url: str) -> None:
    engine = create_engine(database_url, pool_size=2)
    try:
        idle = in_use()
        async with engine.connect() as first, engine.connect() as second:
            assert first is not second
            assert in_use() == idle + 2
        assert in_use() == idle
    finally:
        await engine.dispose()
    assert in_use() == idle
