"""Real Celery worker processes on PostgreSQL and Redis run, cancel and recover jobs.

One scenario, so that worker start-ups (the slow part) are shared: the first
worker succeeds at a job, stops a cancelled one, and is killed -9 in the middle of
a third; the sweep re-queues that one and a second worker finishes it.
"""

from __future__ import annotations

import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import orjson
import pytest

from faceless.models import JobStatus
from faceless.runtime.container import Runtime, build_runtime
from faceless.settings import Settings
from faceless.worker.celery_queue import CeleryQueue
from faceless.worker.sweep import sweep_stale_jobs
from tests.fixtures import ManagedProcess, RedisServer
from tests.worker.support import (
    add_transcribe_job,
    add_user,
    cancel_like_the_api,
    get_job,
    job_finished,
    make_settings,
    start_worker,
    wait_for_job,
    wait_until_ready,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BROKER_DB = 9


@pytest.fixture
def settings(tmp_path: Path, pg_url: str, redis_server: RedisServer) -> Settings:
    with redis_server.client(BROKER_DB) as client:
        client.flushdb()
    return make_settings(
        tmp_path,
        pg_url,
        redis_server.url(BROKER_DB),
        heartbeat_seconds=0.5,
        stale_job_seconds=2,
        max_attempts=3,
    )


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Runtime]:
    built = build_runtime(settings)  # also writes the dev secrets the workers read
    assert isinstance(built.queue, CeleryQueue)
    await built.queue.start()
    try:
        yield built
    finally:
        await built.close()


async def test_celery_workers_run_cancel_and_recover_jobs(
    services: Runtime, short_wav: Path, medium_wav: Path, long_wav: Path
) -> None:
    assert await services.queue.health() == "ok"
    owner = await add_user(services)
    uploads = services.settings.paths.uploads

    with start_worker(services.settings, "worker") as worker:
        # A job sent through Redis runs to success in the worker process.
        job_id = await add_transcribe_job(services, owner, short_wav)
        await services.queue.enqueue(job_id)
        job = await wait_for_job(services, job_id, job_finished, timeout=40, what="a final status")
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert (job.progress, job.attempts) == (1.0, 1)
        result = orjson.loads(job.result or "")
        assert result["engine"] == "pocketsphinx"
        assert result["text"].strip()
        assert not (uploads / (job.input_name or "")).exists()

        # Cancelling a running job stops it at a checkpoint, and it stays cancelled.
        cancelled_id = await add_transcribe_job(services, owner, long_wav)
        await services.queue.enqueue(cancelled_id)
        await wait_for_job(services, cancelled_id, lambda j: j.progress > 0, what="recognition")
        cancelled_at = await cancel_like_the_api(services, cancelled_id)
        await _wait_line(worker, rf"job {cancelled_id} finished: cancelled")
        job = await get_job(services, cancelled_id)
        assert (job.status, job.finished_at, job.result) == (
            JobStatus.CANCELLED,
            cancelled_at,
            None,
        )
        assert not (uploads / (job.input_name or "")).exists()

        # kill -9 (the whole process group) in the middle of a job.
        job_id = await add_transcribe_job(services, owner, medium_wav)
        await services.queue.enqueue(job_id)
        await wait_for_job(services, job_id, lambda j: j.progress > 0, what="recognition")
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert "Traceback" not in worker.output()

    job = await get_job(services, job_id)
    assert (job.status, job.attempts) == (JobStatus.RUNNING, 1)  # nobody will finish it

    # A new worker, started the `celery -A` way, boots while the job goes stale.
    with start_worker(services.settings, "rescuer", cli=True, wait=False) as rescuer:
        started = time.monotonic()
        while await sweep_stale_jobs(services) == 0:
            assert time.monotonic() - started < 10, "the stale job was never swept"
            await anyio.sleep(0.2)
        assert (await get_job(services, job_id)).status == JobStatus.QUEUED
        # The sweep re-sent it (the killed worker's message stays unacknowledged).
        await anyio.to_thread.run_sync(wait_until_ready, rescuer)
        job = await wait_for_job(services, job_id, job_finished, timeout=40, what="a final status")
        assert job.status == JobStatus.SUCCEEDED, job.error
        assert job.attempts == 2
        assert orjson.loads(job.result or "")["text"].strip()
        assert "Traceback" not in rescuer.output()

    # Nothing above (sweeps, a new worker, redelivery) brought the cancelled job back.
    assert (await get_job(services, cancelled_id)).status == JobStatus.CANCELLED


async def _wait_line(proc: ManagedProcess, pattern: str, timeout: float = 10) -> None:
    await anyio.to_thread.run_sync(lambda: proc.wait_for_line(pattern, timeout=timeout))
