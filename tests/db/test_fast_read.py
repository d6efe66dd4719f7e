"""The hot read path returns exactly what SQLAlchemy returns, on both databases."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import bindparam, select

from faceless.models import Role, Video
from faceless.runtime.container import Runtime
from tests.conftest import Accounts


async def test_rows_match_sqlalchemy_for_every_video_column(
    services: Runtime, accounts: Accounts, client: httpx.AsyncClient
) -> None:
    auth = await accounts.headers("reader", Role.EDITOR)
    body = {"title": "Fast", "script": "secret script", "tags": ["a", "b"], "privacy": "public"}
    created = await client.post("/api/v1/videos", headers=auth, json=body)
    assert created.status_code == 201, created.text
    table = Video.__table__

    def build() -> Any:
        return select(table).where(table.c.id == bindparam("video_id"))

    video_id = created.json()["id"]
    values = {"video_id": uuid.UUID(video_id)}
    fast = await services.fast_reader.read("test.video", build, values)
    async with services.read_sessions() as session:
        expected = [dict(row) for row in (await session.execute(build(), values)).mappings()]
    assert fast == expected
    assert fast[0]["script"] != "secret script"  # still the envelope: opened explicitly
    # Compiled once: a second read with other values uses the same statement.
    again = await services.fast_reader.read("test.video", build, {"video_id": uuid.uuid4()})
    assert again == []
