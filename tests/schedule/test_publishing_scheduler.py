"""Schedules publish exactly once: two scheduler processes, a Celery worker, one PostgreSQL."""

from __future__ import annotations

import json
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import anyio
import orjson
import pytest
from sqlalchemy import update

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import (
    Job,
    JobKind,
    JobStatus,
    Privacy,
    Schedule,
    ScheduleStatus,
    Video,
    VideoStatus,
)
from faceless.runtime.container import Runtime, build_runtime
from faceless.schedule.tasks import publish_due
from faceless.settings import Settings
from faceless.worker.runner import INTERNAL_ERROR, run_job
from faceless.worker.sweep import WORKER_STOPPED, sweep_stale_jobs
from tests.fixtures import ManagedProcess, RedisServer
from tests.worker.support import (
    add_schedule,
    add_user,
    add_video,
    get_job,
    get_row,
    make_settings,
    process_env,
    rows,
    start_worker,
)

BROKER_DB = 10
TRANSCRIPT = {
    "text": "hello foxes",
    "language": "en",
    "duration_seconds": 2.0,
    "engine": "pocketsphinx",
    "segments": [{"start": 0.0, "end": 1.5, "text": "hello foxes"}],
}
SCHEDULER_SCRIPT = (
    "from faceless.logging import configure_logging; configure_logging();"
    "from faceless.settings import load_settings;"
    "from faceless.runtime.scheduler_process import run_scheduler_forever;"
    "run_scheduler_forever(load_settings())"
)


async def _add_transcript(services: Runtime, owner: uuid.UUID, video_id: uuid.UUID) -> None:
    async with transaction(services.sessions) as session:
        session.add(
            Job(
                owner_id=owner,
                kind=JobKind.TRANSCRIBE,
                status=JobStatus.SUCCEEDED,
                progress=1.0,
                video_id=video_id,
                language="en",
                result=json.dumps(TRANSCRIPT),
                finished_at=utcnow(),
                attempts=1,
            )
        )


def _wait_started(proc: ManagedProcess) -> None:
    proc.wait_for_line(r"scheduler started|ready\.", timeout=60)


# -- several schedulers, real processes ---------------------------------------------


@pytest.fixture
def prod_settings(tmp_path: Path, pg_url: str, redis_server: RedisServer) -> Settings:
    with redis_server.client(BROKER_DB) as client:
        client.flushdb()
    return make_settings(
        tmp_path, pg_url, redis_server.url(BROKER_DB), scheduler_interval_seconds=0.05
    )


@pytest.fixture
async def prod_services(prod_settings: Settings) -> AsyncIterator[Runtime]:
    built = build_runtime(prod_settings)
    try:
        yield built
    finally:
        await built.close()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.slow
async def test_two_schedulers_publish_each_due_schedule_exactly_once(
    prod_services: Runtime,
) -> None:
    services = prod_services
    settings = services.settings
    owner = await add_user(services)
    videos = [await add_video(services, owner, title=f"Video {n}") for n in range(12)]
    await _add_transcript(services, owner, videos[0])

    env = process_env(settings)
    schedulers = [
        ManagedProcess([sys.executable, "-c", SCHEDULER_SCRIPT], env=env, name=f"scheduler{n}")
        for n in (1, 2)
    ]
    worker = start_worker(settings, "publisher", wait=False)
    try:
        for proc in schedulers:
            proc.start()
        for proc in (*schedulers, worker):
            await anyio.to_thread.run_sync(_wait_started, proc)
        # Due one second from now: both schedulers are polling when the time comes.
        publish_at = utcnow() + timedelta(seconds=1)
        schedules = {
            await add_schedule(
                services,
                owner,
                video_id,
                publish_at=publish_at,
                privacy=Privacy.PUBLIC if n % 2 else None,
            ): video_id
            for n, video_id in enumerate(videos)
        }
        deadline = time.monotonic() + 40
        while True:
            done = [s for s in await rows(services, Schedule) if s.status != ScheduleStatus.PENDING]
            if len(done) == len(schedules):
                break
            assert time.monotonic() < deadline, f"{len(done)} of {len(schedules)} published"
            await anyio.sleep(0.1)
        await anyio.sleep(0.5)  # let any (wrong) second claim or package show up
        logs = {}
        for proc in schedulers:
            assert proc.stop() == 0  # SIGTERM is a clean stop
            logs[proc.name] = proc.output()
            assert "scheduler stopped" in logs[proc.name]
            assert "Traceback" not in logs[proc.name]
        assert "Traceback" not in worker.output()
    finally:
        for proc in (*schedulers, worker):
            proc.close()

    claims = Counter(
        name
        for name, log in logs.items()
        for line in log.splitlines()
        if "claimed; publish" in line
    )
    assert sum(claims.values()) == len(schedules), claims

    jobs = [j for j in await rows(services, Job) if j.kind == JobKind.PUBLISH]
    assert len(jobs) == len(schedules)
    assert all(j.status == JobStatus.SUCCEEDED for j in jobs), [j.error for j in jobs]
    by_id = {j.id: j for j in jobs}
    outbox = settings.paths.outbox
    assert sorted(p.name for p in outbox.iterdir()) == sorted(str(v) for v in videos)
    for schedule in await rows(services, Schedule):
        assert schedule.status == ScheduleStatus.PUBLISHED
        assert schedule.job_id is not None
        job = by_id[schedule.job_id]
        assert job.video_id == schedule.video_id
        assert job.owner_id == owner
        # Within the API's promise of 60 s (here: well within).
        assert job.finished_at is not None
        assert job.finished_at - schedule.publish_at < timedelta(seconds=15)
        package = outbox / str(schedule.video_id)
        metadata = json.loads((package / "metadata.json").read_text())
        assert metadata["schedule_id"] == str(schedule.id)
        video = await get_row(services, Video, schedule.video_id)
        assert video.status == VideoStatus.PUBLISHED
        expected = schedule.privacy or Privacy.PRIVATE
        assert video.privacy == expected == metadata["privacy"]
        assert orjson.loads(job.result or "")["publisher"] == "outbox"
    with_captions = outbox / str(videos[0])
    assert sorted(p.name for p in with_captions.iterdir()) == [
        "captions.srt",
        "captions.vtt",
        "metadata.json",
    ]
    assert "hello foxes" in (with_captions / "captions.vtt").read_text()
    assert sorted(p.name for p in (outbox / str(videos[1])).iterdir()) == ["metadata.json"]


# -- failures, in-process -------------------------------------------------------------


@pytest.fixture
async def services(tmp_path: Path, pg_url: str) -> AsyncIterator[Runtime]:
    built = build_runtime(make_settings(tmp_path, pg_url))  # embedded queue, not started
    try:
        yield built
    finally:
        await built.close()


async def _claimed_job(services: Runtime) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    owner = await add_user(services)
    video_id = await add_video(services, owner)
    schedule_id = await add_schedule(
        services, owner, video_id, publish_at=utcnow() - timedelta(seconds=1)
    )
    assert await publish_due(services) == 1
    assert await publish_due(services) == 0  # claimed once
    schedule = await get_row(services, Schedule, schedule_id)
    assert schedule.job_id is not None
    return schedule_id, video_id, schedule.job_id


@pytest.mark.postgres
async def test_failed_publish_marks_schedule_and_video_failed(services: Runtime) -> None:
    outbox = services.settings.paths.outbox
    outbox.parent.mkdir(parents=True, exist_ok=True)
    outbox.write_text("not a directory")  # the outbox cannot be written
    schedule_id, video_id, job_id = await _claimed_job(services)
    await run_job(services, job_id)
    job = await get_job(services, job_id)
    assert job.status == JobStatus.FAILED
    assert job.error == "The package could not be written to the outbox."
    assert job.finished_at is not None
    assert (await get_row(services, Schedule, schedule_id)).status == ScheduleStatus.FAILED
    assert (await get_row(services, Video, video_id)).status == VideoStatus.FAILED
    assert job.error != INTERNAL_ERROR


@pytest.mark.postgres
async def test_publish_job_of_a_cancelled_schedule_publishes_nothing(services: Runtime) -> None:
    schedule_id, _video, job_id = await _claimed_job(services)
    async with transaction(services.sessions) as session:  # lost a race with the API's cancel
        await session.execute(
            update(Schedule)
            .where(Schedule.id == schedule_id)
            .values(status=ScheduleStatus.CANCELLED)
        )
    await run_job(services, job_id)
    assert (await get_job(services, job_id)).status == JobStatus.CANCELLED
    assert not services.settings.paths.outbox.exists() or not any(
        services.settings.paths.outbox.iterdir()
    )
    assert (await get_row(services, Schedule, schedule_id)).status == ScheduleStatus.CANCELLED


@pytest.mark.postgres
async def test_publish_job_whose_workers_keep_dying_fails_its_schedule(
    services: Runtime,
) -> None:
    schedule_id, video_id, job_id = await _claimed_job(services)
    async with transaction(services.sessions) as session:
        await session.execute(
            update(Job)
            .where(Job.id == job_id)
            .values(
                status=JobStatus.RUNNING,
                attempts=services.settings.worker.max_attempts,
                heartbeat_at=utcnow() - timedelta(hours=1),
            )
        )
    assert await sweep_stale_jobs(services) == 1
    job = await get_job(services, job_id)
    assert (job.status, job.error) == (JobStatus.FAILED, WORKER_STOPPED)
    assert (await get_row(services, Schedule, schedule_id)).status == ScheduleStatus.FAILED
    assert (await get_row(services, Video, video_id)).status == VideoStatus.FAILED
    # A late duplicate delivery of the message cannot revive it.
    await run_job(services, job_id)
    assert (await get_job(services, job_id)).status == JobStatus.FAILED


@pytest.mark.postgres
async def test_cancelled_publish_job_cancels_its_schedule(services: Runtime) -> None:
    delivered = await _claimed_job(services)
    revoked = await _claimed_job(services)
    for _schedule_id, _video_id, job_id in (delivered, revoked):
        async with transaction(services.sessions) as session:  # DELETE /jobs/{id}, queued
            await session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(status=JobStatus.CANCELLED, finished_at=utcnow())
            )
    # One message still reaches a worker; the other was revoked and only the sweep sees it.
    await run_job(services, delivered[2])
    assert await sweep_stale_jobs(services) == 1
    for schedule_id, video_id, job_id in (delivered, revoked):
        assert (await get_job(services, job_id)).status == JobStatus.CANCELLED
        schedule = await get_row(services, Schedule, schedule_id)
        assert schedule.status == ScheduleStatus.CANCELLED
        assert (await get_row(services, Video, video_id)).status == VideoStatus.DRAFT
    assert not services.settings.paths.outbox.exists()
    assert await sweep_stale_jobs(services) == 0
