"""A published schedule is counted where it happens: its delay and its job's duration."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from faceless.db.base import utcnow
from faceless.metrics.instruments import REGISTRY
from faceless.models import JobStatus, Schedule, ScheduleStatus
from faceless.runtime.container import Runtime, build_runtime
from faceless.schedule.tasks import publish_due
from faceless.settings import Settings
from faceless.worker.runner import run_job
from tests.worker.support import add_schedule, add_user, add_video, get_job, get_row

DELAY = "faceless_schedule_publish_delay_seconds"
DURATION = "faceless_job_duration_seconds"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Runtime]:
    built = build_runtime(settings)  # the embedded queue is not started: we run the job
    try:
        yield built
    finally:
        await built.close()


async def test_a_publication_records_its_delay_and_its_job_duration(
    services: Runtime, tmp_path: Path
) -> None:
    owner = await add_user(services)
    video = await add_video(services, owner)
    schedule_id = await add_schedule(
        services, owner, video, publish_at=utcnow() - timedelta(seconds=90)
    )
    delays = sample(f"{DELAY}_count")
    late = sample(f"{DELAY}_bucket", le="60.0")
    runs = sample(f"{DURATION}_count", kind="publish", outcome="succeeded")
    assert await publish_due(services) == 1
    schedule = await get_row(services, Schedule, schedule_id)
    assert schedule.job_id is not None
    await run_job(services, schedule.job_id)

    assert (await get_job(services, schedule.job_id)).status == JobStatus.SUCCEEDED
    assert (await get_row(services, Schedule, schedule_id)).status == ScheduleStatus.PUBLISHED
    assert sample(f"{DELAY}_count") == delays + 1
    assert sample(f"{DELAY}_bucket", le="60.0") == late  # 90 s late: above the 60 s bucket
    assert sample(f"{DELAY}_sum") >= 90
    assert sample(f"{DURATION}_count", kind="publish", outcome="succeeded") == runs + 1
    # Every kind x outcome series exists from the start, at zero if nothing happened.
    assert REGISTRY.get_sample_value(f"{DURATION}_count", {"kind": "transcribe",
                                                          "outcome": "cancelled"}) is not None  # fmt: skip
