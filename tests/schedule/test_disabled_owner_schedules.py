"""A disabled owner's schedules are never claimed, and a claimed one never publishes.

The scheduler's round skips them (so no publish job is made), and the publish job
looks at the owner once more before the step that cannot be undone. Both databases.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import Schedule, ScheduleStatus, User
from faceless.runtime.container import Runtime, build_runtime
from faceless.schedule.tasks import publish_due, run_publish
from faceless.worker import repository as jobs_repository
from faceless.worker.cancellation import JobMonitor, JobStopped
from tests.worker.support import add_schedule, add_user, add_video, get_row, make_settings


@pytest.fixture
async def services(tmp_path: Path, database_url: str) -> AsyncIterator[Runtime]:
    built = build_runtime(make_settings(tmp_path, database_url))
    try:
        yield built
    finally:
        await built.close()


async def disable(services: Runtime, user_id: object) -> None:
    async with transaction(services.sessions) as session:
        await session.execute(update(User).where(User.id == user_id).values(disabled=True))


async def test_due_schedules_of_a_disabled_owner_are_not_claimed(services: Runtime) -> None:
    due = utcnow() - timedelta(seconds=1)
    disabled, enabled = await add_user(services), await add_user(services)
    skipped = await add_schedule(
        services, disabled, await add_video(services, disabled), publish_at=due
    )
    taken = await add_schedule(
        services, enabled, await add_video(services, enabled), publish_at=due
    )
    await disable(services, disabled)
    assert await publish_due(services) == 1
    assert await publish_due(services) == 0
    left = await get_row(services, Schedule, skipped)
    assert (left.status, left.claimed_at, left.job_id) == (ScheduleStatus.PENDING, None, None)
    assert (await get_row(services, Schedule, taken)).job_id is not None


async def test_the_publish_job_stops_if_its_owner_was_disabled_after_the_claim(
    services: Runtime,
) -> None:
    owner = await add_user(services)
    schedule_id = await add_schedule(
        services,
        owner,
        await add_video(services, owner),
        publish_at=utcnow() - timedelta(seconds=1),
    )
    assert await publish_due(services) == 1
    job_id = (await get_row(services, Schedule, schedule_id)).job_id
    assert job_id is not None
    async with transaction(services.sessions) as session:  # a worker took it ...
        job = await jobs_repository.claim(session, job_id, now=utcnow())
    assert job is not None
    await disable(services, owner)  # ... and then the owner was disabled
    monitor = JobMonitor(services.sessions, job.id, job.attempt, heartbeat_seconds=60)
    with pytest.raises(JobStopped):
        await run_publish(services, job, monitor)
    assert not services.settings.paths.outbox.exists()
