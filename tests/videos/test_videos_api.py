"""Video CRUD, ownership, validation (and that bad input changes nothing)."""

from __future__ import annotations

import uuid

import pytest

from faceless.models import Role
from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts

VIDEOS = "/api/v1/videos"


async def test_create_read_update_delete(accounts: Accounts) -> None:
    auth = await accounts.headers("eve")
    created = await accounts.client.post(
        VIDEOS,
        headers=auth,
        json={"title": "How rivers form", "script": "Water flows.", "tags": ["geo"]},
    )
    assert created.status_code == 201
    video = created.json()
    assert created.headers["location"] == f"{VIDEOS}/{video['id']}"
    assert (
        video["privacy"] == "private" and video["status"] == "draft" and video["description"] == ""
    )
    assert video["created_at"].endswith("+00:00")
    fetched = await accounts.client.get(f"{VIDEOS}/{video['id']}", headers=auth)
    assert fetched.json() == video
    patched = await accounts.client.patch(
        f"{VIDEOS}/{video['id']}", headers=auth, json={"tags": [], "privacy": "unlisted"}
    )
    assert patched.status_code == 200
    assert patched.json()["tags"] == [] and patched.json()["privacy"] == "unlisted"
    assert patched.json()["title"] == "How rivers form"
    listing = await accounts.client.get(VIDEOS, headers=auth)
    assert listing.json() == {"items": [patched.json()], "total": 1, "limit": 20, "offset": 0}
    assert (
        await accounts.client.delete(f"{VIDEOS}/{video['id']}", headers=auth)
    ).status_code == 204
    assert_problem(await accounts.client.get(f"{VIDEOS}/{video['id']}", headers=auth), 404)


async def test_another_users_video_is_404_and_admin_sees_all(
    accounts: Accounts, services: Runtime
) -> None:
    owner = await accounts.headers("owner")
    intruder = await accounts.headers("intruder")
    admin = await accounts.headers("boss", Role.ADMIN)
    video = (await accounts.client.post(VIDEOS, headers=owner, json={"title": "Mine"})).json()
    url = f"{VIDEOS}/{video['id']}"
    before = await snapshot(services)
    assert_problem(await accounts.client.get(url, headers=intruder), 404)
    assert_problem(await accounts.client.patch(url, headers=intruder, json={"title": "x"}), 404)
    assert_problem(await accounts.client.delete(url, headers=intruder), 404)
    assert (await accounts.client.get(VIDEOS, headers=intruder)).json()["total"] == 0
    assert await snapshot(services) == before
    assert (await accounts.client.get(url, headers=admin)).status_code == 200
    assert (await accounts.client.get(VIDEOS, headers=admin)).json()["total"] == 1


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"title": ""}, 422),
        ({"title": "x" * 101}, 422),
        ({"title": "ok", "description": "d" * 5001}, 422),
        ({"title": "ok", "script": "s" * 100_001}, 422),
        ({"title": "ok", "tags": ["t" * 101]}, 422),
        ({"title": "ok", "tags": ["a" * 100] * 5}, 422),  # 500 + 4 separators
        ({"title": "ok", "tags": [""]}, 422),
        ({"title": "ok", "privacy": "secret"}, 422),
        ({"title": "ok", "status": "published"}, 422),  # the client cannot set status
        ({"title": "ok", "owner_id": str(uuid.uuid4())}, 422),
        ({"title": None}, 422),
        ({"title": "ok", "description": None}, 422),
        ([], 422),
        ("just a string", 422),
    ],
)
async def test_invalid_bodies_are_rejected_and_change_nothing(
    accounts: Accounts, services: Runtime, body: object, status: int
) -> None:
    auth = await accounts.headers("val")
    before = await snapshot(services)
    body_doc = assert_problem(await accounts.client.post(VIDEOS, headers=auth, json=body), status)
    assert body_doc["errors"] and all("loc" in e and "msg" in e for e in body_doc["errors"])
    assert await snapshot(services) == before


async def test_unicode_lengths_count_code_points(accounts: Accounts) -> None:
    auth = await accounts.headers("uni")
    title = "é" * 100  # 200 bytes, 100 code points
    assert (
        await accounts.client.post(VIDEOS, headers=auth, json={"title": title})
    ).status_code == 201
    tags = ["a" * 99, "b" * 100, "c" * 100, "d" * 100, "e" * 97]  # 496 + 4 separators = 500
    assert (
        await accounts.client.post(VIDEOS, headers=auth, json={"title": "t", "tags": tags})
    ).status_code == 201


async def test_malformed_and_mistyped_requests(accounts: Accounts, services: Runtime) -> None:
    auth = await accounts.headers("mal")
    before = await snapshot(services)
    broken = await accounts.client.post(
        VIDEOS, headers={**auth, "content-type": "application/json"}, content=b'{"title": '
    )
    assert_problem(broken, 400)
    empty = await accounts.client.post(
        VIDEOS, headers={**auth, "content-type": "application/json"}, content=b""
    )
    assert_problem(empty, 422)
    assert_problem(await accounts.client.get(f"{VIDEOS}/not-a-uuid", headers=auth), 404)
    assert_problem(
        await accounts.client.patch(f"{VIDEOS}/{uuid.uuid4()}", headers=auth, json={"title": "x"}),
        404,
    )
    wrong_method = await accounts.client.put(VIDEOS, headers=auth, json={})
    assert_problem(wrong_method, 405)
    assert "GET" in wrong_method.headers["allow"]
    assert_problem(await accounts.client.get("/api/v1/nothing-here", headers=auth), 404)
    assert await snapshot(services) == before


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=101", "offset=-1", "limit=abc", "status=bogus"]
)
async def test_pagination_bounds_are_422_not_clamped(accounts: Accounts, query: str) -> None:
    auth = await accounts.headers("pager")
    assert_problem(await accounts.client.get(f"{VIDEOS}?{query}", headers=auth), 422)


async def test_pagination_and_status_filter(accounts: Accounts) -> None:
    auth = await accounts.headers("many")
    for i in range(5):
        await accounts.client.post(VIDEOS, headers=auth, json={"title": f"v{i}"})
    page = (await accounts.client.get(f"{VIDEOS}?limit=2&offset=4", headers=auth)).json()
    assert (
        page["total"] == 5
        and len(page["items"]) == 1
        and page["limit"] == 2
        and page["offset"] == 4
    )
    assert (await accounts.client.get(f"{VIDEOS}?status=published", headers=auth)).json()[
        "total"
    ] == 0
