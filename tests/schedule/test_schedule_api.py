"""Schedules: validation, one pending per video, cancel, ownership."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts

SCHEDULE = "/api/v1/schedule"


def at(delta: timedelta) -> str:
    return (datetime.now(UTC) + delta).isoformat()


async def test_schedule_lifecycle(accounts: Accounts, services: Runtime) -> None:
    auth = await accounts.headers("sam")
    video = (await accounts.client.post("/api/v1/videos", headers=auth, json={"title": "S"})).json()
    created = await accounts.client.post(
        SCHEDULE,
        headers=auth,
        json={"video_id": video["id"], "publish_at": at(timedelta(hours=1)), "privacy": "public"},
    )
    assert created.status_code == 201
    schedule = created.json()
    assert schedule["status"] == "pending" and schedule["job_id"] is None
    assert schedule["detail"] is None  # nothing to say yet
    assert (await accounts.client.get(f"/api/v1/videos/{video['id']}", headers=auth)).json()[
        "status"
    ] == "scheduled"
    before = await snapshot(services)
    again = await accounts.client.post(
        SCHEDULE, headers=auth, json={"video_id": video["id"], "publish_at": at(timedelta(hours=2))}
    )
    assert_problem(again, 409)
    assert await snapshot(services) == before
    listing = (await accounts.client.get(SCHEDULE, headers=auth)).json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == schedule["id"]
    assert (
        await accounts.client.delete(f"{SCHEDULE}/{schedule['id']}", headers=auth)
    ).status_code == 204
    assert (await accounts.client.get(f"/api/v1/videos/{video['id']}", headers=auth)).json()[
        "status"
    ] == "draft"
    listing = (await accounts.client.get(SCHEDULE, headers=auth)).json()
    assert listing["items"][0]["status"] == "cancelled"
    assert_problem(await accounts.client.delete(f"{SCHEDULE}/{schedule['id']}", headers=auth), 409)


async def test_bad_schedules_change_nothing(accounts: Accounts, services: Runtime) -> None:
    auth = await accounts.headers("bad")
    other = await accounts.headers("other")
    video = (await accounts.client.post("/api/v1/videos", headers=auth, json={"title": "S"})).json()
    foreign = (
        await accounts.client.post("/api/v1/videos", headers=other, json={"title": "O"})
    ).json()
    before = await snapshot(services)
    cases = [
        ({"video_id": video["id"], "publish_at": at(-timedelta(minutes=1))}, 422),
        ({"video_id": video["id"], "publish_at": at(timedelta(days=400))}, 422),
        ({"video_id": video["id"], "publish_at": "2030-01-01T10:00:00"}, 422),  # no offset
        ({"video_id": video["id"], "publish_at": "tomorrow"}, 422),
        ({"video_id": video["id"]}, 422),
        ({"video_id": foreign["id"], "publish_at": at(timedelta(hours=1))}, 404),
        (
            {
                "video_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                "publish_at": at(timedelta(hours=1)),
            },
            404,
        ),
        ({"video_id": video["id"], "publish_at": at(timedelta(hours=1)), "extra": 1}, 422),
    ]
    for body, status in cases:
        assert_problem(await accounts.client.post(SCHEDULE, headers=auth, json=body), status)
    assert await snapshot(services) == before


async def test_deleting_a_video_cancels_its_pending_schedule(accounts: Accounts) -> None:
    auth = await accounts.headers("del")
    video = (await accounts.client.post("/api/v1/videos", headers=auth, json={"title": "S"})).json()
    await accounts.client.post(
        SCHEDULE, headers=auth, json={"video_id": video["id"], "publish_at": at(timedelta(hours=1))}
    )
    assert (
        await accounts.client.delete(f"/api/v1/videos/{video['id']}", headers=auth)
    ).status_code == 204
    items = (await accounts.client.get(SCHEDULE, headers=auth)).json()["items"]
    assert [item["status"] for item in items] == ["cancelled"]
