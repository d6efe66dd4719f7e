"""The hot read path's documents are byte for byte what ``VideoOut`` would send (ADR 0026)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sqlalchemy import update

from faceless.api.json_body import json_bytes
from faceless.api.pagination import ListEnvelope
from faceless.models import Role, Video
from faceless.runtime.container import Runtime
from faceless.videos import repository
from faceless.videos.documents import video_document
from faceless.videos.schemas import VideoOut
from tests.conftest import Accounts

# Every shape a row can take: text that JSON must escape, empty and non-ASCII lists,
# a language and none, media and a thumbnail, a YouTube id, whole and fractional floats.
BODIES: list[dict[str, Any]] = [
    {"title": "Plain", "script": "short"},
    {
        "title": 'Quotes " and \\ back\\slash',
        "script": "Tabs\tnewlines\nemoji 🎬 and \u2028 separators </script>",
        "description": "Ünïcødé — «quoted» 中文",
        "tags": ["ä", "b c", "🎬"],
        "privacy": "public",
        "default_language": "pt-BR",
        "made_for_kids": True,
        "contains_synthetic_media": True,
        "category_id": "27",
    },
]
FILES: list[dict[str, Any]] = [
    {},
    {
        "media_content_type": "video/mp4",
        "media_size": 10_485_760,
        "media_sha256": "ab" * 32,
        "media_duration_seconds": 12.0,
        "youtube_id": "dQw4w9WgXcQ",
    },
    {
        "media_content_type": "video/webm",
        "media_size": 1,
        "media_sha256": "cd" * 32,
        "media_duration_seconds": 0.1 + 0.2,
        "thumbnail_content_type": "image/png",
        "thumbnail_size": 2048,
        "thumbnail_width": 1280,
        "thumbnail_height": 720,
    },
]


async def _create(client: httpx.AsyncClient, auth: dict[str, str]) -> list[str]:
    ids = []
    for body in BODIES:
        answer = await client.post("/api/v1/videos", headers=auth, json=body)
        assert answer.status_code == 201, answer.text
        ids.append(answer.json()["id"])
    return ids


async def test_documents_equal_the_models_bytes_for_every_row_shape(
    services: Runtime, accounts: Accounts, client: httpx.AsyncClient
) -> None:
    auth = await accounts.headers("documents", Role.EDITOR)
    ids = await _create(client, auth) + await _create(client, auth) + await _create(client, auth)
    async with services.sessions() as session, session.begin():
        for video_id, files in zip(ids, FILES * 2, strict=False):
            if files:
                await session.execute(
                    update(Video).where(Video.id == uuid.UUID(video_id)).values(**files)
                )
    rows, total = await repository.list_visible(
        services.fast_reader,
        services.data_protection,
        owner_id=None,
        status=None,
        limit=100,
        offset=0,
    )
    assert total == len(rows) == 6
    assert {row["media_content_type"] for row in rows} == {None, "video/mp4", "video/webm"}
    for row in rows:
        model = VideoOut.model_validate(row)
        assert json_bytes(video_document(row)) == model.__pydantic_serializer__.to_json(model)

    # And through the API: the list and one video are the bytes of the models of the rows.
    listing = await client.get("/api/v1/videos", headers=auth)
    assert listing.status_code == 200
    envelope = ListEnvelope[VideoOut](
        items=[VideoOut.model_validate(row) for row in rows], total=6, limit=20, offset=0
    )
    assert listing.content == envelope.__pydantic_serializer__.to_json(envelope)
    one = await client.get(f"/api/v1/videos/{ids[1]}", headers=auth)
    assert one.status_code == 200
    (row,) = [row for row in rows if str(row["id"]) == ids[1]]
    assert one.content == VideoOut.model_validate(row).model_dump_json().encode()
    assert one.json()["media"]["duration_seconds"] == 12.0
    assert one.json()["script"].startswith("Tabs\tnewlines")
