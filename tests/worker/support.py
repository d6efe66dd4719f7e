"""Helpers shared by the worker and publishing tests: settings, rows, processes, waiting."""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select, update

from faceless.db.base import Base, utcnow
from faceless.db.session import transaction
from faceless.models import (
    Job,
    JobKind,
    JobStatus,
    Privacy,
    Role,
    Schedule,
    ScheduleStatus,
    User,
    Video,
    VideoStatus,
)
from faceless.runtime.container import Runtime
from faceless.settings import (
    DatabaseSettings,
    Environment,
    PathSettings,
    RedisSettings,
    SecretsSettings,
    Settings,
    WorkerSettings,
)
from tests.fixtures import ManagedProcess
from tests.fixtures.speech import espeak

T = TypeVar("T", bound=Base)

SHORT_TEXT = "Hello world. This is a test of the faceless transcription worker."
MEDIUM_TEXT = " ".join(
    ["The quick brown fox jumps over the lazy dog and keeps running through the forest."] * 2
)
LONG_TEXT = " ".join(
    ["The quick brown fox jumps over the lazy dog and keeps running through the forest."] * 12
)


def espeak_wav(directory: Path, name: str, text: str) -> Path:
    return espeak(text, directory / f"{name}.wav")


def make_settings(
    root: Path, database_url: str, redis_url: str | None = None, **worker: float
) -> Settings:
    return Settings(
        env=Environment.DEVELOPMENT,
        paths=PathSettings(var_dir=root / "var"),
        database=DatabaseSettings(url=database_url, pool_size=2),
        redis=RedisSettings(url=redis_url),
        secrets=SecretsSettings(backends=["files"], directory=root / "secrets"),
        worker=WorkerSettings(**worker),  # type: ignore[arg-type]
    )


def process_env(settings: Settings) -> dict[str, str | None]:
    """The same settings for a child process, through the operator variables."""
    w = settings.worker
    return {
        "FACELESS_ENV": settings.env.value,
        "DATABASE_URL": settings.database_url,
        "DATABASE_POOL_SIZE": str(settings.database.pool_size),
        "REDIS_URL": settings.redis.url,
        "FACELESS_VAR_DIR": str(settings.paths.var_dir),
        "SECRETS_DIR": str(settings.secrets_dir),
        "SECRETS_BACKENDS": "files",
        "STALE_JOB_SECONDS": str(w.stale_job_seconds),
        "JOB_HEARTBEAT_SECONDS": str(w.heartbeat_seconds),
        "JOB_MAX_ATTEMPTS": str(w.max_attempts),
        "SCHEDULER_INTERVAL_SECONDS": str(w.scheduler_interval_seconds),
        "PYTHONUNBUFFERED": "1",
    }


WORKER_SCRIPT = (
    "from faceless.logging import configure_logging; configure_logging();"
    "from faceless.settings import load_settings;"
    "from faceless.runtime.celery_worker import run_worker;"
    "run_worker(load_settings(), concurrency=1)"
)


def start_worker(
    settings: Settings, name: str, *, cli: bool = False, wait: bool = True
) -> ManagedProcess:
    """A real Celery worker process; ``cli`` uses ``celery -A ...`` instead of run_worker."""
    if cli:
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "faceless.runtime.celery_worker:celery_app",
            "worker",
            "--pool=solo",
            "--loglevel=INFO",
            "--without-mingle",
            "--without-gossip",
        ]
    else:
        argv = [sys.executable, "-c", WORKER_SCRIPT]
    proc = ManagedProcess(argv, env=process_env(settings), name=name, stop_timeout=10)
    proc.start()
    if wait:
        wait_until_ready(proc)
    return proc


def wait_until_ready(proc: ManagedProcess) -> None:
    proc.wait_for_line(r"ready\.", timeout=60)


async def add_row(services: Runtime, row: Base) -> None:
    """Insert one ORM row in its own committed transaction."""
    async with transaction(services.sessions) as session:
        session.add(row)


async def add_user(services: Runtime) -> uuid.UUID:
    user_id = uuid.uuid4()
    await add_row(
        services,
        User(
            id=user_id,
            username=f"u{user_id.hex[:12]}",
            password_hash="not-a-real-hash",
            role=Role.EDITOR,
        ),
    )
    return user_id


async def add_video(
    services: Runtime, owner_id: uuid.UUID, *, title: str = "A faceless video"
) -> uuid.UUID:
    video_id = uuid.uuid4()
    await add_row(
        services,
        Video(
            id=video_id,
            owner_id=owner_id,
            title=title,
            description="About foxes.",
            script="",
            tags=["fox", "forest"],
            privacy=Privacy.PRIVATE,
            status=VideoStatus.SCHEDULED,
        ),
    )
    return video_id


async def add_schedule(
    services: Runtime,
    owner_id: uuid.UUID,
    video_id: uuid.UUID,
    *,
    publish_at: datetime,
    privacy: Privacy | None = Privacy.UNLISTED,
) -> uuid.UUID:
    schedule_id = uuid.uuid4()
    await add_row(
        services,
        Schedule(
            id=schedule_id,
            owner_id=owner_id,
            video_id=video_id,
            publish_at=publish_at,
            privacy=privacy,
            status=ScheduleStatus.PENDING,
        ),
    )
    return schedule_id


async def add_transcribe_job(
    services: Runtime,
    owner_id: uuid.UUID,
    wav: Path,
    *,
    video_id: uuid.UUID | None = None,
    **fields: object,
) -> uuid.UUID:
    uploads = services.settings.paths.uploads
    uploads.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex + ".audio"
    shutil.copyfile(wav, uploads / name)
    job_id = uuid.uuid4()
    await add_row(
        services,
        Job(
            id=job_id,
            owner_id=owner_id,
            kind=JobKind.TRANSCRIBE,
            status=JobStatus.QUEUED,
            progress=0.0,
            video_id=video_id,
            language="en",
            input_name=name,
            attempts=0,
            **fields,
        ),
    )
    return job_id


async def get_job(services: Runtime, job_id: uuid.UUID) -> Job:
    return await get_row(services, Job, job_id)


def job_finished(job: Job) -> bool:
    """A predicate for :func:`wait_for_job`: any final status."""
    return JobStatus(job.status).finished


async def wait_for_job(
    services: Runtime,
    job_id: uuid.UUID,
    predicate: Callable[[Job], bool],
    *,
    timeout: float = 30.0,
    what: str = "the expected state",
) -> Job:
    deadline = time.monotonic() + timeout
    while True:
        job = await get_job(services, job_id)
        if predicate(job):
            return job
        if time.monotonic() > deadline:
            raise AssertionError(
                f"job {job_id} did not reach {what} within {timeout}s: status={job.status} "
                f"progress={job.progress} attempts={job.attempts} error={job.error!r}"
            )
        await asyncio.sleep(0.1)


async def cancel_like_the_api(services: Runtime, job_id: uuid.UUID) -> datetime:
    """What DELETE /jobs/{id} does to a queued or running job, then the best-effort revoke."""
    now = utcnow()
    async with transaction(services.sessions) as session:
        await session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
            .values(status=JobStatus.CANCELLED, finished_at=now)
        )
    await services.queue.revoke(job_id)
    return now


async def rows(services: Runtime, model: type[T]) -> list[T]:
    async with transaction(services.sessions) as session:
        return list((await session.scalars(select(model))).all())


async def get_row(services: Runtime, model: type[T], key: uuid.UUID) -> T:
    async with transaction(services.sessions) as session:
        return await session.get_one(model, key)


def in_seconds(seconds: float) -> datetime:
    return utcnow() + timedelta(seconds=seconds)
