"""What YouTube's answers do to schedules, accounts and readiness (schedule.publishing).

The publish job runs in-process against the fake of Google in tests.publishing.fake_youtube
(a real HTTP server on 127.0.0.1), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import orjson
import pytest
from sqlalchemy import select, update

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import (
    JobStatus,
    PublisherQuotaUsage,
    Schedule,
    ScheduleStatus,
    Video,
    VideoStatus,
)
from faceless.publishing import youtube as youtube_module
from faceless.publishing.credentials import set_credentials
from faceless.publishing.quota import next_reset, quota_day
from faceless.publishing.status import credentials_state
from faceless.publishing.youtube_api import Retry
from faceless.runtime.container import Runtime, build_runtime
from faceless.schedule.tasks import publish_due
from faceless.settings import Settings, YouTubeSettings
from faceless.worker.runner import run_job
from tests.conftest import running_app
from tests.publishing.fake_youtube import FakeYouTube, Fault, fake_youtube, fresh_credentials
from tests.worker.support import add_schedule, add_user, add_video, get_job, get_row

CREDENTIALS = fresh_credentials()


@pytest.fixture
def google() -> Iterator[FakeYouTube]:
    with fake_youtube(**CREDENTIALS) as fake:
        yield fake


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(youtube_module, "Retry", lambda: Retry(retries=3, backoff_seconds=0.01))


def with_youtube(settings: Settings, google: FakeYouTube, *, quota: int = 10_000) -> Settings:
    youtube = YouTubeSettings(
        token_url=f"{google.url}/token",
        api_base_url=google.url,
        upload_base_url=f"{google.url}/upload",
        daily_quota_units=quota,
    )
    return settings.model_copy(update={"youtube": youtube})


@pytest.fixture
async def services(settings: Settings, google: FakeYouTube) -> AsyncIterator[Runtime]:
    built = build_runtime(with_youtube(settings, google, quota=2_000))
    try:
        async with transaction(built.sessions) as session:
            await set_credentials(
                session,
                provider="youtube",
                account="channel",
                values=CREDENTIALS,
                actor_id=None,
                ctx=None,
            )
        yield built
    finally:
        await built.close()


async def due_video(services: Runtime) -> tuple[uuid.UUID, uuid.UUID]:
    """A video with media and a schedule due now; (video id, schedule id)."""
    owner = await add_user(services)
    video_id = await add_video(services, owner)
    media = services.settings.paths.var_dir / "media"
    media.mkdir(parents=True, exist_ok=True)
    (media / str(video_id)).write_bytes(os.urandom(4096))
    async with transaction(services.sessions) as session:
        await session.execute(
            update(Video).where(Video.id == video_id).values(media_content_type="video/mp4")
        )
    schedule_id = await add_schedule(
        services, owner, video_id, publish_at=utcnow() - timedelta(seconds=1)
    )
    return video_id, schedule_id


async def run_claimed(services: Runtime, schedule_id: uuid.UUID) -> uuid.UUID:
    schedule = await get_row(services, Schedule, schedule_id)
    assert schedule.job_id is not None
    await run_job(services, schedule.job_id)
    return schedule.job_id


async def test_a_schedule_over_the_days_quota_waits_for_the_reset(
    services: Runtime, google: FakeYouTube
) -> None:
    first_video, first = await due_video(services)
    second_video, second = await due_video(services)
    assert await publish_due(services) == 2
    await run_claimed(services, first)
    job_id = await run_claimed(services, second)  # 1,600 + 1,600 > 2,000

    assert len(google.videos) == 1  # the second never reached YouTube
    schedule = await get_row(services, Schedule, second)
    reset = next_reset(utcnow())
    assert (schedule.status, schedule.job_id, schedule.claimed_at) == (
        ScheduleStatus.PENDING,
        None,
        None,
    )
    assert schedule.not_before == reset
    assert schedule.detail is not None
    assert "daily quota" in schedule.detail
    assert reset.strftime("%Y-%m-%d %H:%M UTC") in schedule.detail
    job = await get_job(services, job_id)
    assert (job.status, job.error) == (JobStatus.FAILED, schedule.detail)
    assert (await get_row(services, Video, second_video)).status == VideoStatus.SCHEDULED
    assert (await get_row(services, Video, first_video)).status == VideoStatus.PUBLISHED

    assert await publish_due(services) == 0  # held back until the reset
    async with transaction(services.sessions) as session:  # the Pacific day turns over
        await session.execute(
            update(PublisherQuotaUsage).values(day=quota_day(utcnow()) - timedelta(days=1))
        )
    assert await publish_due(services, now=reset + timedelta(seconds=1)) == 1
    await run_claimed(services, second)
    published = await get_row(services, Schedule, second)
    assert (published.status, published.detail) == (ScheduleStatus.PUBLISHED, None)
    assert len(google.videos) == 2


async def test_googles_quota_exceeded_defers_and_spends_the_day(
    services: Runtime, google: FakeYouTube
) -> None:
    _video, schedule_id = await due_video(services)
    google.fail("insert", Fault(403, "quotaExceeded"))
    assert await publish_due(services) == 1
    await run_claimed(services, schedule_id)
    schedule = await get_row(services, Schedule, schedule_id)
    assert schedule.status == ScheduleStatus.PENDING
    assert schedule.not_before == next_reset(utcnow())
    assert schedule.detail is not None and "quota" in schedule.detail
    async with transaction(services.sessions) as session:
        used = await session.scalar(select(PublisherQuotaUsage.units))
    assert used == 2_000  # nothing more goes out for this account today


async def test_5xx_and_a_dropped_upload_then_success_publish(
    services: Runtime, google: FakeYouTube
) -> None:
    video_id, schedule_id = await due_video(services)
    google.fail("insert", Fault(503))
    google.fail("upload", Fault(drop_after=1000), Fault(500))
    assert await publish_due(services) == 1
    job_id = await run_claimed(services, schedule_id)
    job = await get_job(services, job_id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    (youtube_id,) = google.videos
    assert orjson.loads(job.result or "")["reference"] == f"youtube:{youtube_id}"
    media = services.settings.paths.var_dir / "media" / str(video_id)
    assert bytes(google.videos[youtube_id].data) == media.read_bytes()
    schedule = await get_row(services, Schedule, schedule_id)
    assert (schedule.status, schedule.detail) == (ScheduleStatus.PUBLISHED, None)
    video = await get_row(services, Video, video_id)
    assert (video.status, video.youtube_id) == (VideoStatus.PUBLISHED, youtube_id)


async def test_invalid_grant_fails_the_schedule_and_readiness_reports_it(
    services: Runtime, google: FakeYouTube
) -> None:
    _video, schedule_id = await due_video(services)
    google.revoked = True
    assert await publish_due(services) == 1
    await run_claimed(services, schedule_id)
    schedule = await get_row(services, Schedule, schedule_id)
    assert schedule.status == ScheduleStatus.FAILED
    assert schedule.detail is not None
    assert "invalid_grant" in schedule.detail and "set-credentials" in schedule.detail
    assert CREDENTIALS["refresh_token"] not in schedule.detail
    async with transaction(services.sessions) as session:
        used = await session.scalar(select(PublisherQuotaUsage.units))
    assert used == 0  # nothing reached YouTube: the reservation was given back

    async with running_app(services.settings) as (_runtime, client):
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert ready.json()["checks"]["publisher"] == "credentials_invalid"

    async with transaction(services.sessions) as session:  # the operator stores new ones
        await set_credentials(
            session,
            provider="youtube",
            account="channel",
            values=CREDENTIALS,
            actor_id=None,
            ctx=None,
        )
        assert await credentials_state(session, services.publisher) == "ok"
