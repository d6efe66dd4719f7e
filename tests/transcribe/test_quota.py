"""At most ``MAX_QUEUED_JOBS_PER_USER`` queued or running jobs per user.

Beyond it ``POST /transcribe`` is a 429 with ``Retry-After`` and a problem document
naming the quota; it is decided before the upload is read, changes nothing, holds
under concurrent uploads (one owner's job creations queue on the owner's row), and
the scheduler's publish jobs are never refused. The embedded workers are stopped
here, as if busy elsewhere, so accepted jobs stay queued and keep counting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import Job, JobKind, JobStatus, Role
from faceless.runtime.container import Runtime
from faceless.schedule.tasks import publish_due
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts, make_settings, running_app
from tests.security.test_body_limits import Tracked
from tests.worker.support import add_schedule, add_video

LIMIT = 3
BOUNDARY = "quota-boundary"


@pytest.fixture
async def quota_app(
    tmp_path: Path, database_url: str
) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient, Accounts]]:
    settings = make_settings(tmp_path, database_url, max_queued_jobs_per_user=LIMIT)
    async with running_app(settings) as (services, client):
        await services.queue.close()  # the workers are busy elsewhere: jobs stay queued
        yield services, client, Accounts(services, client)


def uploads(services: Runtime) -> list[str]:
    directory = services.settings.paths.uploads
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


async def active_jobs(services: Runtime) -> int:
    async with transaction(services.sessions) as session:
        query = select(func.count()).where(Job.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]))
        return int(await session.scalar(query.select_from(Job)) or 0)


async def upload(client: httpx.AsyncClient, auth: dict[str, str], wav: bytes) -> httpx.Response:
    files = {"file": ("speech.wav", wav, "audio/wav")}
    return await client.post("/api/v1/transcribe", headers=auth, files=files)


def assert_over_quota(response: httpx.Response) -> None:
    problem = assert_problem(response, 429)
    assert problem["quota"] == "MAX_QUEUED_JOBS_PER_USER"
    assert problem["limit"] == LIMIT
    assert "MAX_QUEUED_JOBS_PER_USER" in problem["detail"]
    assert int(response.headers["retry-after"]) > 0


async def test_uploads_beyond_the_quota_are_429_and_change_nothing(
    quota_app: tuple[Runtime, httpx.AsyncClient, Accounts], speech_wav: Path
) -> None:
    services, client, accounts = quota_app
    wav = speech_wav.read_bytes()
    auth = await accounts.headers("busy", Role.EDITOR)
    accepted = [await upload(client, auth, wav) for _ in range(LIMIT)]
    assert [r.status_code for r in accepted] == [202] * LIMIT
    before, files = await snapshot(services), uploads(services)
    assert_over_quota(await upload(client, auth, wav))
    assert await snapshot(services) == before
    assert uploads(services) == files
    # Another user has a quota of their own.
    other = await accounts.headers("idle", Role.EDITOR)
    assert (await upload(client, other, wav)).status_code == 202
    # Cancelling a job frees its place.
    job_id = accepted[0].json()["id"]
    assert (await client.delete(f"/api/v1/jobs/{job_id}", headers=auth)).status_code == 200
    assert (await upload(client, auth, wav)).status_code == 202


async def test_concurrent_uploads_cannot_overshoot_the_quota(
    quota_app: tuple[Runtime, httpx.AsyncClient, Accounts], speech_wav: Path
) -> None:
    services, client, accounts = quota_app
    wav = speech_wav.read_bytes()
    auth = await accounts.headers("racer", Role.EDITOR)
    for _ in range(LIMIT - 1):
        assert (await upload(client, auth, wav)).status_code == 202
    results = await asyncio.gather(*(upload(client, auth, wav) for _ in range(6)))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [202] + [429] * 5, [r.text for r in results]
    for refused in (r for r in results if r.status_code == 429):
        assert_over_quota(refused)
    assert await active_jobs(services) == LIMIT
    assert len(uploads(services)) == LIMIT  # the refused uploads left no file


async def test_the_quota_is_decided_before_the_upload_is_read(
    quota_app: tuple[Runtime, httpx.AsyncClient, Accounts], speech_wav: Path
) -> None:
    _services, client, accounts = quota_app
    wav = speech_wav.read_bytes()
    auth = await accounts.headers("full", Role.EDITOR)
    for _ in range(LIMIT):
        assert (await upload(client, auth, wav)).status_code == 202
    body = Tracked(8 * 1024 * 1024, chunk=64 * 1024)
    response = await client.post(
        "/api/v1/transcribe",
        content=body,
        headers={
            **auth,
            "content-type": f"multipart/form-data; boundary={BOUNDARY}",
            "content-length": str(body.total),
        },
    )
    assert_over_quota(response)
    assert response.headers["connection"] == "close"
    assert body.sent == 0  # not one chunk was pulled from the client


async def test_the_schedulers_publish_jobs_are_never_refused(
    quota_app: tuple[Runtime, httpx.AsyncClient, Accounts], speech_wav: Path
) -> None:
    services, client, accounts = quota_app
    wav = speech_wav.read_bytes()
    owner = await accounts.create("publisher", Role.EDITOR)
    auth = {"Authorization": f"Bearer {(await accounts.login('publisher'))['access_token']}"}
    for _ in range(LIMIT):
        assert (await upload(client, auth, wav)).status_code == 202
    video_id = await add_video(services, owner)
    await add_schedule(services, owner, video_id, publish_at=utcnow() - timedelta(seconds=1))
    assert await publish_due(services) == 1
    async with transaction(services.sessions) as session:
        kinds = await session.scalars(select(Job.kind).where(Job.owner_id == owner))
        assert sorted(kinds) == sorted([JobKind.TRANSCRIBE] * LIMIT + [JobKind.PUBLISH])
    assert await active_jobs(services) == LIMIT + 1
