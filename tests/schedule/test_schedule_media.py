"""Scheduling for the YouTube publisher needs the video's media (409 naming it otherwise)."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

from faceless.runtime.container import Runtime
from faceless.settings import Settings
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts, running_app
from tests.media.samples import write_video
from tests.publishing.test_publisher_credentials import youtube_values
from tests.publishing.test_publisher_selection import store_credentials, write_youtube_secrets
from tests.schedule.test_schedule_api import SCHEDULE, at
from tests.videos.test_media import new_video, put_file


async def _refused_then_accepted(
    accounts: Accounts, services: Runtime, tmp_path: Path, name: str
) -> None:
    auth = await accounts.headers(name)
    video_id = await new_video(accounts.client, auth)
    before = await snapshot(services)
    response = await accounts.client.post(
        SCHEDULE, headers=auth, json={"video_id": video_id, "publish_at": at(timedelta(hours=1))}
    )
    body = assert_problem(response, 409)
    assert body["missing"] == ["media"]
    assert "youtube publisher needs the video's media" in body["detail"]
    assert await snapshot(services) == before
    mp4 = write_video(tmp_path / f"{name}.mp4").read_bytes()
    assert (await put_file(accounts.client, auth, video_id, mp4, "video/mp4")).status_code == 200
    response = await accounts.client.post(
        SCHEDULE, headers=auth, json={"video_id": video_id, "publish_at": at(timedelta(hours=1))}
    )
    assert response.status_code == 201, response.text


async def test_database_credentials_need_media(
    accounts: Accounts, services: Runtime, tmp_path: Path
) -> None:
    await store_credentials(services, "channel", youtube_values("db"))
    await _refused_then_accepted(accounts, services, tmp_path, "dbcreds")


async def test_secret_store_credentials_need_media(settings: Settings, tmp_path: Path) -> None:
    write_youtube_secrets(settings)
    async with running_app(settings) as (services, client):
        assert services.publisher.name == "youtube"
        await _refused_then_accepted(Accounts(services, client), services, tmp_path, "secrets")


async def test_the_outbox_publishes_without_media(accounts: Accounts) -> None:
    auth = await accounts.headers("outboxer")
    video_id = await new_video(accounts.client, auth)
    response = await accounts.client.post(
        SCHEDULE, headers=auth, json={"video_id": video_id, "publish_at": at(timedelta(hours=1))}
    )
    assert response.status_code == 201, response.text


async def test_the_published_package_carries_the_disclosures(
    accounts: Accounts, services: Runtime
) -> None:
    auth = await accounts.headers("discloses")
    disclosures = {
        "made_for_kids": True,
        "contains_synthetic_media": True,
        "category_id": "28",
        "default_language": "en-GB",
    }
    video_id = await new_video(accounts.client, auth, **disclosures)
    response = await accounts.client.post(
        SCHEDULE, headers=auth, json={"video_id": video_id, "publish_at": at(timedelta(seconds=1))}
    )
    assert response.status_code == 201, response.text
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        (schedule,) = (await accounts.client.get(SCHEDULE, headers=auth)).json()["items"]
        if schedule["status"] != "pending":
            break
        await asyncio.sleep(0.2)
    assert schedule["status"] == "published"
    metadata_file = services.settings.paths.outbox / video_id / "metadata.json"
    metadata = json.loads(metadata_file.read_text(encoding="utf-8"))
    assert {key: metadata[key] for key in disclosures} == disclosures
