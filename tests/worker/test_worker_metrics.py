"""``faceless worker --metrics-port``: the pool's jobs run in its children, the parent
serves their sum. Without the multiprocess directory the parent would report none."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from faceless.db.base import utcnow
from faceless.models import JobStatus, Schedule
from faceless.runtime.container import Runtime, build_runtime
from faceless.schedule.tasks import publish_due
from faceless.settings import Settings
from faceless.worker.celery_queue import CeleryQueue
from tests.fixtures import ManagedProcess, RedisServer, free_port
from tests.health.scrape import samples, value
from tests.worker.support import (
    add_schedule,
    add_user,
    add_video,
    get_row,
    make_settings,
    process_env,
    wait_for_job,
    wait_until_ready,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

FACELESS = str(Path(sys.executable).with_name("faceless"))
BROKER_DB = 12
JOBS = 4


@pytest.fixture
def settings(tmp_path: Path, pg_url: str, redis_server: RedisServer) -> Settings:
    with redis_server.client(BROKER_DB) as client:
        client.flushdb()
    return make_settings(tmp_path, pg_url, redis_server.url(BROKER_DB), heartbeat_seconds=0.5)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Runtime]:
    built = build_runtime(settings)  # also writes the dev secrets the worker reads
    assert isinstance(built.queue, CeleryQueue)
    await built.queue.start()
    try:
        yield built
    finally:
        await built.close()


async def test_the_worker_serves_the_sum_of_its_pool(services: Runtime, settings: Settings) -> None:
    port = free_port()
    argv = [FACELESS, "worker", "--concurrency", "2", "--metrics-port", str(port)]
    env = {**process_env(settings), "METRICS_ALLOW": "127.0.0.1"}
    with ManagedProcess(argv, env=env, name="worker-metrics", stop_timeout=20) as worker:
        wait_until_ready(worker)
        owner = await add_user(services)
        schedules = []
        for _ in range(JOBS):
            video = await add_video(services, owner)
            due = utcnow() - timedelta(seconds=1)
            schedules.append(await add_schedule(services, owner, video, publish_at=due))
        assert await publish_due(services) == JOBS
        for schedule_id in schedules:
            job_id = (await get_row(services, Schedule, schedule_id)).job_id
            assert job_id is not None
            await wait_for_job(
                services, job_id, lambda job: job.status == JobStatus.SUCCEEDED, timeout=120
            )
        scraped = samples(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=30).text)
    count = "faceless_job_duration_seconds_count"
    assert value(scraped, count, kind="publish", outcome="succeeded") == JOBS
    delays = value(scraped, "faceless_schedule_publish_delay_seconds_count")
    assert delays == JOBS
