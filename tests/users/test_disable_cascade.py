"""Disabling an account stops what it set going (API.md, "Disabled accounts").

``PATCH /users/{id} {"disabled": true}`` cancels the user's queued and running jobs
(a running one stops at its next progress step) and pending schedules, claimed ones
included (their video returns to draft); each cancel is audited. Nothing of theirs
runs or publishes afterwards, and nobody else's work is touched.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import select

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import AuditEvent, Job, JobStatus, Role, Schedule, ScheduleStatus, Video
from faceless.runtime.container import Runtime
from faceless.schedule.tasks import publish_due
from tests.conftest import Accounts, make_settings, running_app
from tests.fixtures.speech import espeak
from tests.worker.support import LONG_TEXT, add_schedule, add_video, get_job, get_row, rows

LIVENESS_SECONDS = 15.0


@pytest.fixture(scope="module")
def long_speech(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 50 s of speech: recognition is still running long after it starts."""
    return espeak(LONG_TEXT, tmp_path_factory.mktemp("long") / "long.wav")


@pytest.fixture
async def app(
    tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient, Accounts]]:
    settings = make_settings(tmp_path, database_url, heartbeat_seconds=0.5)
    async with running_app(settings) as (services, client):
        yield services, client, Accounts(services, client)


async def bearer(accounts: Accounts, name: str, role: Role) -> tuple[uuid.UUID, dict[str, str]]:
    user_id = await accounts.create(name, role)
    return user_id, {"Authorization": f"Bearer {(await accounts.login(name))['access_token']}"}


async def upload(client: httpx.AsyncClient, auth: dict[str, str], wav: Path) -> uuid.UUID:
    files = {"file": ("speech.wav", wav.read_bytes(), "audio/wav")}
    response = await client.post("/api/v1/transcribe", headers=auth, files=files)
    assert response.status_code == 202, response.text
    return uuid.UUID(response.json()["id"])


async def schedule_video(client: httpx.AsyncClient, auth: dict[str, str]) -> uuid.UUID:
    video = await client.post("/api/v1/videos", headers=auth, json={"title": "Foxes"})
    at = (utcnow() + timedelta(hours=1)).isoformat()
    created = await client.post(
        "/api/v1/schedule", headers=auth, json={"video_id": video.json()["id"], "publish_at": at}
    )
    assert created.status_code == 201, created.text
    return uuid.UUID(created.json()["id"])


async def disable(
    client: httpx.AsyncClient, admin: dict[str, str], user_id: uuid.UUID
) -> httpx.Response:
    response = await client.patch(
        f"/api/v1/users/{user_id}", headers=admin, json={"disabled": True}
    )
    assert response.status_code == 200, response.text
    return response


async def audited(services: Runtime, action: str) -> list[str]:
    async with transaction(services.sessions) as session:
        targets = await session.scalars(
            select(AuditEvent.target).where(AuditEvent.action == action)
        )
        return sorted(t or "" for t in targets)


async def test_disabling_cancels_queued_jobs_and_pending_schedules(
    app: tuple[Runtime, httpx.AsyncClient, Accounts], speech_wav: Path
) -> None:
    services, client, accounts = app
    await services.queue.close()  # workers busy: the jobs are still queued when disabled
    _admin_id, admin = await bearer(accounts, "boss", Role.ADMIN)
    doomed_id, doomed = await bearer(accounts, "doomed", Role.EDITOR)
    _other_id, other = await bearer(accounts, "bystander", Role.EDITOR)
    jobs = [await upload(client, doomed, speech_wav) for _ in range(2)]
    pending = await schedule_video(client, doomed)
    # A schedule the scheduler already claimed: its publish job is queued.
    video_id = await add_video(services, doomed_id)
    claimed = await add_schedule(services, doomed_id, video_id, publish_at=utcnow())
    assert await publish_due(services) == 1
    publish_job = (await get_row(services, Schedule, claimed)).job_id
    assert publish_job is not None
    others_job, others_schedule = (
        await upload(client, other, speech_wav),
        await schedule_video(client, other),
    )

    await disable(client, admin, doomed_id)

    for job_id in (*jobs, publish_job):
        job = await get_job(services, job_id)
        assert (job.status, job.finished_at is not None) == (JobStatus.CANCELLED, True)
    for schedule_id in (pending, claimed):
        schedule = await get_row(services, Schedule, schedule_id)
        assert schedule.status == ScheduleStatus.CANCELLED
        assert (await get_row(services, Video, schedule.video_id)).status == "draft"
    assert await audited(services, "job.cancel") == sorted(f"job:{j}" for j in (*jobs, publish_job))
    assert await audited(services, "schedule.cancel") == sorted(
        f"schedule:{s}" for s in (pending, claimed)
    )
    # Nobody else's work moved.
    assert (await get_job(services, others_job)).status == JobStatus.QUEUED
    assert (await get_row(services, Schedule, others_schedule)).status == ScheduleStatus.PENDING

    # The workers come back and get the queued messages: nothing of the user's runs.
    await services.queue.start()
    deadline = time.monotonic() + 60
    while (await get_job(services, others_job)).status != JobStatus.SUCCEEDED:
        assert time.monotonic() < deadline, "the bystander's job never ran"
        await anyio.sleep(0.2)
    for job_id in (*jobs, publish_job):
        job = await get_job(services, job_id)
        assert (job.status, job.started_at, job.attempts) == (JobStatus.CANCELLED, None, 0)
    outbox = services.settings.paths.outbox
    assert not outbox.exists() or not any(outbox.iterdir())


async def test_disabling_stops_a_running_job_at_its_next_step(
    app: tuple[Runtime, httpx.AsyncClient, Accounts],
    long_speech: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    services, client, accounts = app
    caplog.set_level(logging.INFO, logger="faceless.worker.runner")
    _admin_id, admin = await bearer(accounts, "chief", Role.ADMIN)
    user_id, auth = await bearer(accounts, "talker", Role.EDITOR)
    job_id = await upload(client, auth, long_speech)
    deadline = time.monotonic() + 60
    while (job := await get_job(services, job_id)).progress <= 0:
        assert time.monotonic() < deadline, f"recognition never started: {job.status}"
        await anyio.sleep(0.1)
    assert job.status == JobStatus.RUNNING and job.progress < 0.5

    await disable(client, admin, user_id)

    finished = f"job {job_id} finished: cancelled"
    deadline = time.monotonic() + LIVENESS_SECONDS
    while finished not in caplog.text:
        assert time.monotonic() < deadline, "the running job did not stop"
        await anyio.sleep(0.1)
    job = await get_job(services, job_id)
    assert (job.status, job.result) == (JobStatus.CANCELLED, None)
    assert job.progress < 1.0
    assert not (services.settings.paths.uploads / (job.input_name or "")).exists()
    assert [j.status for j in await rows(services, Job)] == [JobStatus.CANCELLED]
