"""The analysis endpoint over HTTP (the analyzer itself is tested in tests/analyze)."""

from __future__ import annotations

from faceless.runtime.container import Runtime
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts


async def test_analyze_inline_and_stored_video_agree(accounts: Accounts) -> None:
    auth = await accounts.headers("ana")
    script = "Did you know rivers carve canyons? " * 30
    body = {"title": "How rivers carve canyons", "script": script}
    inline = await accounts.client.post("/api/v1/analyze", headers=auth, json=body)
    assert inline.status_code == 200
    result = inline.json()
    assert set(result) == {
        "word_count",
        "estimated_duration_seconds",
        "reading_grade",
        "keywords",
        "title",
        "hook",
        "suggestions",
    }
    assert result["word_count"] == 180 and result["estimated_duration_seconds"] == 72
    assert len(result["hook"]["text"].split()) == 40
    video = (await accounts.client.post("/api/v1/videos", headers=auth, json=body)).json()
    stored = await accounts.client.post(
        "/api/v1/analyze", headers=auth, json={"video_id": video["id"]}
    )
    assert stored.json() == result


async def test_analyze_rejects_mixed_forms_and_foreign_videos(
    accounts: Accounts, services: Runtime
) -> None:
    auth = await accounts.headers("ana2")
    other = await accounts.headers("ana3")
    video = (
        await accounts.client.post("/api/v1/videos", headers=other, json={"title": "theirs"})
    ).json()
    before = await snapshot(services)
    mixed = {"video_id": video["id"], "title": "t", "script": "s"}
    assert_problem(await accounts.client.post("/api/v1/analyze", headers=auth, json=mixed), 422)
    assert_problem(
        await accounts.client.post("/api/v1/analyze", headers=auth, json={"video_id": video["id"]}),
        404,
    )
    assert_problem(
        await accounts.client.post("/api/v1/analyze", headers=auth, json={"title": "t"}), 422
    )
    assert await snapshot(services) == before
