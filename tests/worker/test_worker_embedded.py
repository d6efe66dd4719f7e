"""The embedded queue runs jobs in-process (SQLite), the same runner code as Celery."""

from __future__ import annotations

import shutil
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from sqlalchemy import update

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import Job, JobStatus
from faceless.runtime.container import Runtime, build_runtime
from faceless.worker.embedded import EmbeddedQueue
from faceless.worker.sweep import WORKER_STOPPED, sweep_stale_jobs
from tests.worker.support import (
    add_transcribe_job,
    add_user,
    get_job,
    job_finished,
    make_settings,
    wait_for_job,
)


@pytest.fixture
async def services(tmp_path: Path, sqlite_template: Path) -> AsyncIterator[Runtime]:
    db = tmp_path / "faceless.db"
    shutil.copyfile(sqlite_template, db)
    settings = make_settings(
        tmp_path,
        f"sqlite+aiosqlite:///{db}",
        heartbeat_seconds=0.5,
        embedded_workers=2,
        scheduler_interval_seconds=0.2,
    )
    built = build_runtime(settings)
    assert isinstance(built.queue, EmbeddedQueue)
    try:
        yield built
    finally:
        await built.close()


async def test_embedded_runs_a_transcription_to_success(services: Runtime, short_wav: Path) -> None:
    owner = await add_user(services)
    # Queued before start (as if left by the previous run): start() resumes it. Sending
    # it as well is harmless: one delivery wins the claim.
    job_id = await add_transcribe_job(services, owner, short_wav)
    await services.queue.start()
    await services.queue.enqueue(job_id)
    assert await services.queue.health() == "ok"
    job = await wait_for_job(services, job_id, job_finished, timeout=40, what="a final status")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 1.0
    assert job.attempts == 1
    assert job.error is None
    assert job.started_at is not None and job.finished_at is not None
    assert job.finished_at >= job.started_at
    result = orjson.loads(job.result or "")
    assert set(result) == {"text", "language", "duration_seconds", "engine", "segments", "words"}
    assert result["engine"] == "pocketsphinx"
    assert result["language"] == "en"
    assert result["text"].strip()
    assert result["segments"]
    assert 3 < result["duration_seconds"] < 6
    # Uploads are transient.
    assert job.input_name is not None
    assert not (services.settings.paths.uploads / job.input_name).exists()


async def test_embedded_close_hands_a_running_job_back_promptly(
    services: Runtime, long_wav: Path
) -> None:
    owner = await add_user(services)
    await services.queue.start()
    job_id = await add_transcribe_job(services, owner, long_wav)
    await services.queue.enqueue(job_id)
    await wait_for_job(services, job_id, lambda j: j.progress > 0, what="recognition under way")
    started = time.monotonic()
    await services.queue.close()
    assert time.monotonic() - started < 2
    job = await get_job(services, job_id)
    assert job.status == JobStatus.QUEUED  # resumed by the next start
    assert job.attempts == 0  # an interrupted attempt does not count
    assert (services.settings.paths.uploads / (job.input_name or "")).exists()


async def test_sweep_requeues_or_fails_stale_jobs_and_resends_lost_ones(
    services: Runtime, short_wav: Path
) -> None:
    owner = await add_user(services)
    max_attempts = services.settings.worker.max_attempts
    long_ago = utcnow() - timedelta(hours=1)
    retry = await add_transcribe_job(services, owner, short_wav)
    give_up = await add_transcribe_job(services, owner, short_wav)
    alive = await add_transcribe_job(services, owner, short_wav)
    lost = await add_transcribe_job(services, owner, short_wav, created_at=long_ago)
    async with transaction(services.sessions) as session:
        for job_id, attempts, beat in (
            (retry, 1, long_ago),
            (give_up, max_attempts, long_ago),
            (alive, 1, utcnow()),
        ):
            await session.execute(
                update(Job)
                .where(Job.id == job_id)
                .values(status=JobStatus.RUNNING, attempts=attempts, heartbeat_at=beat)
            )

    assert await sweep_stale_jobs(services) == 3

    job = await get_job(services, retry)
    assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
    assert (services.settings.paths.uploads / (job.input_name or "")).exists()
    job = await get_job(services, give_up)
    assert job.status == JobStatus.FAILED
    assert job.error == WORKER_STOPPED
    assert job.finished_at is not None
    assert not (services.settings.paths.uploads / (job.input_name or "")).exists()
    assert (await get_job(services, alive)).status == JobStatus.RUNNING
    assert (await get_job(services, lost)).status == JobStatus.QUEUED
    # Re-sent once per period, not on every sweep.
    assert await sweep_stale_jobs(services) == 0


async def _sleep(seconds: float) -> None:
    import anyio

    await anyio.sleep(seconds)
