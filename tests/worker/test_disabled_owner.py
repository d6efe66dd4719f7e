"""A job whose owner is disabled never runs: the claim refuses it and cancels it.

Disabling through the API cancels the owner's jobs at once; this is the guard
behind it, for a job whose owner was disabled by any other path, or in the moment
between. The real runner on both databases; the queue is never started, the test
delivers the job itself, as a worker would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import JobStatus, Schedule, ScheduleStatus, User, Video, VideoStatus
from faceless.runtime.container import Runtime, build_runtime
from faceless.schedule.tasks import publish_due
from faceless.worker.runner import run_job
from tests.worker.support import (
    add_schedule,
    add_transcribe_job,
    add_user,
    add_video,
    get_job,
    get_row,
    make_settings,
)


@pytest.fixture
async def services(tmp_path: Path, database_url: str) -> AsyncIterator[Runtime]:
    built = build_runtime(make_settings(tmp_path, database_url))
    try:
        yield built
    finally:
        await built.close()


async def set_disabled(services: Runtime, user_id: object, disabled: bool = True) -> None:
    async with transaction(services.sessions) as session:
        await session.execute(update(User).where(User.id == user_id).values(disabled=disabled))


async def test_a_queued_job_of_a_disabled_owner_is_cancelled_unrun(
    services: Runtime, speech_wav: Path
) -> None:
    owner = await add_user(services)
    job_id = await add_transcribe_job(services, owner, speech_wav)
    upload = services.settings.paths.uploads / ((await get_job(services, job_id)).input_name or "")
    assert upload.exists()
    await set_disabled(services, owner)
    await run_job(services, job_id)
    job = await get_job(services, job_id)
    assert (job.status, job.started_at, job.attempts, job.result) == (
        JobStatus.CANCELLED,
        None,
        0,
        None,
    )
    assert job.finished_at is not None
    assert not upload.exists()
    # Enabled again later: the cancelled job stays cancelled.
    await set_disabled(services, owner, False)
    await run_job(services, job_id)
    assert (await get_job(services, job_id)).status == JobStatus.CANCELLED


async def test_a_publish_job_of_a_disabled_owner_publishes_nothing(services: Runtime) -> None:
    owner = await add_user(services)
    video_id = await add_video(services, owner)
    schedule_id = await add_schedule(
        services, owner, video_id, publish_at=utcnow() - timedelta(seconds=1)
    )
    assert await publish_due(services) == 1  # claimed while the owner was enabled
    job_id = (await get_row(services, Schedule, schedule_id)).job_id
    assert job_id is not None
    await set_disabled(services, owner)
    await run_job(services, job_id)
    assert (await get_job(services, job_id)).status == JobStatus.CANCELLED
    assert (await get_row(services, Schedule, schedule_id)).status == ScheduleStatus.CANCELLED
    assert (await get_row(services, Video, video_id)).status == VideoStatus.DRAFT
    assert not services.settings.paths.outbox.exists()
