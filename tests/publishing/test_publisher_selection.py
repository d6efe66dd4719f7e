"""Which publisher a publish job uses: database credentials, then the secret store, then
the outbox. YouTube is never contacted: with no rendered media file the YouTube publisher
fails before any network call, which is how these tests recognise it."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path

import orjson
import pytest

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.models import JobStatus, Schedule, ScheduleStatus
from faceless.publishing.base import Publisher
from faceless.publishing.credentials import set_credentials
from faceless.publishing.factory import SECRET_NAMES, select_publisher
from faceless.publishing.outbox import OutboxPublisher
from faceless.publishing.youtube import YouTubePublisher
from faceless.runtime.container import Runtime, build_runtime
from faceless.schedule import tasks
from faceless.schedule.tasks import publish_due
from faceless.settings import Settings
from faceless.worker.runner import run_job
from tests.publishing.test_publisher_credentials import youtube_values
from tests.worker.support import add_schedule, add_user, add_video, get_job, get_row

NO_MEDIA = "No media has been uploaded for this video."


def write_youtube_secrets(settings: Settings) -> None:
    directory = settings.secrets_dir
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name in SECRET_NAMES:
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"store-value-of-{name.lower()}\n")


@pytest.fixture
def chosen(monkeypatch: pytest.MonkeyPatch) -> list[Publisher]:
    """Every publisher a publish job picked (the real choice, only recorded)."""
    picked: list[Publisher] = []

    def recording(*args: object, **kwargs: object) -> Publisher:
        publisher = select_publisher(*args, **kwargs)  # type: ignore[arg-type]
        picked.append(publisher)
        return publisher

    monkeypatch.setattr(tasks, "select_publisher", recording)
    return picked


@pytest.fixture
async def make_services(settings: Settings) -> AsyncIterator[Callable[[], Runtime]]:
    built: list[Runtime] = []

    def make() -> Runtime:
        services = build_runtime(settings)  # embedded queue, never started
        built.append(services)
        return services

    yield make
    for services in built:
        await services.close()


async def store_credentials(services: Runtime, account: str, values: dict[str, str]) -> None:
    async with transaction(services.sessions) as session:
        await set_credentials(
            session, provider="youtube", account=account, values=values, actor_id=None, ctx=None
        )


async def publish_once(services: Runtime) -> tuple[uuid.UUID, uuid.UUID]:
    """Claim one due schedule and run its publish job; (schedule id, job id)."""
    owner = await add_user(services)
    video_id = await add_video(services, owner)
    schedule_id = await add_schedule(
        services, owner, video_id, publish_at=utcnow() - timedelta(seconds=1)
    )
    assert await publish_due(services) == 1
    schedule = await get_row(services, Schedule, schedule_id)
    assert schedule.job_id is not None
    await run_job(services, schedule.job_id)
    return schedule_id, schedule.job_id


def secrets_of(publisher: Publisher) -> list[tuple[str, str, str]]:
    assert isinstance(publisher, YouTubePublisher)
    held = (publisher._client_id, publisher._client_secret, publisher._refresh_token)
    return [(s.name, s.backend, s.reveal()) for s in held]


async def test_database_credentials_take_precedence_over_the_outbox(
    make_services: Callable[[], Runtime], chosen: list[Publisher]
) -> None:
    services = make_services()
    assert isinstance(services.publisher, OutboxPublisher)  # nothing in the secret store
    await store_credentials(services, "older", youtube_values("old"))
    await store_credentials(services, "channel", youtube_values("db"))

    schedule_id, job_id = await publish_once(services)

    (publisher,) = chosen
    values = youtube_values("db")  # the most recently set account
    assert secrets_of(publisher) == [
        ("YOUTUBE_CLIENT_ID", "database", values["client_id"]),
        ("YOUTUBE_CLIENT_SECRET", "database", values["client_secret"]),
        ("YOUTUBE_REFRESH_TOKEN", "database", values["refresh_token"]),
    ]
    assert "Walrus" not in repr(vars(publisher))
    job = await get_job(services, job_id)
    assert (job.status, job.error) == (JobStatus.FAILED, NO_MEDIA)  # YouTube's own check
    assert (await get_row(services, Schedule, schedule_id)).status == ScheduleStatus.FAILED
    assert not services.settings.paths.outbox.exists()  # nothing went to the outbox


async def test_database_credentials_take_precedence_over_the_secret_store(
    settings: Settings, make_services: Callable[[], Runtime], chosen: list[Publisher]
) -> None:
    write_youtube_secrets(settings)
    services = make_services()
    assert [b for _, b, _ in secrets_of(services.publisher)] == ["files"] * 3

    await publish_once(services)  # no credentials in the database: the secret store's
    await store_credentials(services, "channel", youtube_values("db"))
    await publish_once(services)

    assert [[b for _, b, _ in secrets_of(p)] for p in chosen] == [["files"] * 3, ["database"] * 3]
    assert chosen[0] is services.publisher
    assert secrets_of(chosen[1])[1][2] == youtube_values("db")["client_secret"]


async def test_outbox_stays_the_default_without_any_credentials(
    make_services: Callable[[], Runtime], chosen: list[Publisher]
) -> None:
    services = make_services()
    _schedule_id, job_id = await publish_once(services)
    assert chosen == [services.publisher] and isinstance(chosen[0], OutboxPublisher)
    job = await get_job(services, job_id)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert orjson.loads(job.result or "")["publisher"] == "outbox"


def test_select_publisher_keeps_the_default_without_database_credentials(
    tmp_path: Path,
) -> None:
    from faceless.settings import PathSettings

    settings = Settings(paths=PathSettings(var_dir=tmp_path / "var"))
    default = OutboxPublisher(settings.paths.outbox)
    assert select_publisher(default, settings, None) is default
    youtube = select_publisher(default, settings, youtube_values())
    assert isinstance(youtube, YouTubePublisher)
    assert youtube.media_dir == settings.paths.var_dir / "media"
    assert "Walrus" not in repr(vars(youtube))
