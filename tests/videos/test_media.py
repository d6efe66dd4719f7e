"""PUT/GET /videos/{id}/media and PUT /videos/{id}/thumbnail, in process, on both databases.

Real videos and images made with PyAV (tests.media.samples); every refused body is
checked to change nothing: no row, no audit event, no file under var/.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from faceless.db.session import transaction
from faceless.errors import ProblemError
from faceless.models import AuditEvent, Role
from faceless.runtime.container import Runtime
from faceless.settings import Settings
from faceless.videos import media as media_service
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts, running_app
from tests.media.samples import image_bytes, write_video

VIDEOS = "/api/v1/videos"


async def new_video(client: httpx.AsyncClient, auth: dict[str, str], **fields: object) -> str:
    response = await client.post(VIDEOS, headers=auth, json={"title": "Clip", **fields})
    assert response.status_code == 201, response.text
    video_id: str = response.json()["id"]
    return video_id


async def put_file(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    video_id: str,
    body: bytes,
    content_type: str | None,
    *,
    kind: str = "media",
) -> httpx.Response:
    headers = dict(auth)
    if content_type is not None:
        headers["Content-Type"] = content_type
    return await client.put(f"{VIDEOS}/{video_id}/{kind}", headers=headers, content=body)


def files_under(settings: Settings) -> list[str]:
    found = []
    for directory in (settings.paths.media, settings.paths.thumbnails):
        if directory.exists():
            found += sorted(f"{directory.name}/{p.name}" for p in directory.iterdir())
    return found


async def audit_actions(services: Runtime) -> list[str]:
    async with transaction(services.sessions) as session:
        return list((await session.scalars(select(AuditEvent.action))).all())


async def test_media_upload_download_replace(
    accounts: Accounts, services: Runtime, tmp_path: Path
) -> None:
    auth = await accounts.headers("maker")
    video_id = await new_video(accounts.client, auth)
    mp4 = write_video(tmp_path / "a.mp4", "video/mp4", frames=20, rate=10).read_bytes()
    response = await put_file(accounts.client, auth, video_id, mp4, "video/mp4")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {
        "size": len(mp4),
        "content_type": "video/mp4",
        "sha256": hashlib.sha256(mp4).hexdigest(),
        "duration_seconds": pytest.approx(2.0, abs=0.11),
    }
    stored = services.settings.paths.media_file(uuid.UUID(video_id))
    assert stored.read_bytes() == mp4 and stored.stat().st_mode & 0o777 == 0o600
    download = await accounts.client.get(f"{VIDEOS}/{video_id}/media", headers=auth)
    assert download.status_code == 200
    assert download.headers["content-type"] == "video/mp4"
    assert download.content == mp4
    # Replaced whole: the new type, the new bytes, nothing else left in the directory.
    webm = write_video(tmp_path / "b.webm", "video/webm").read_bytes()
    response = await put_file(accounts.client, auth, video_id, webm, "video/webm; codecs=vp8")
    assert response.status_code == 200, response.text
    assert response.json()["content_type"] == "video/webm"
    download = await accounts.client.get(f"{VIDEOS}/{video_id}/media", headers=auth)
    assert download.headers["content-type"] == "video/webm" and download.content == webm
    assert files_under(services.settings) == [f"media/{video_id}"]
    assert (await audit_actions(services)).count("video.media_upload") == 2
    # The video shows what it holds, in its own document and in the list.
    video = (await accounts.client.get(f"{VIDEOS}/{video_id}", headers=auth)).json()
    assert video["media"] == response.json() and video["thumbnail"] is None
    (listed,) = (await accounts.client.get(VIDEOS, headers=auth)).json()["items"]
    assert listed == video


async def test_no_media_is_a_404(accounts: Accounts) -> None:
    auth = await accounts.headers("nomedia")
    video_id = await new_video(accounts.client, auth)
    assert_problem(await accounts.client.get(f"{VIDEOS}/{video_id}/media", headers=auth), 404)


async def test_bad_media_is_refused_and_nothing_is_kept(
    accounts: Accounts, services: Runtime, tmp_path: Path
) -> None:
    auth = await accounts.headers("badmedia")
    video_id = await new_video(accounts.client, auth)
    mp4 = write_video(tmp_path / "a.mp4").read_bytes()
    webm = write_video(tmp_path / "b.webm", "video/webm").read_bytes()
    cases = [
        (mp4, "image/png", 415),
        (mp4, "application/octet-stream", 415),
        (mp4, None, 415),
        (bytes(range(256)) * 16, "video/mp4", 422),  # garbage
        (image_bytes("image/png"), "video/mp4", 422),  # a PNG with a lying content type
        (webm, "video/mp4", 422),  # a WebM declared as MP4
        (mp4[: len(mp4) // 2], "video/mp4", 422),  # truncated
        (b"", "video/mp4", 422),
    ]
    before = await snapshot(services)
    for body, content_type, status in cases:
        response = await put_file(accounts.client, auth, video_id, body, content_type)
        assert_problem(response, status)
    assert await snapshot(services) == before
    assert files_under(services.settings) == []


async def test_a_body_over_max_media_bytes_is_413(
    settings: Settings, accounts: Accounts, tmp_path: Path
) -> None:
    small = settings.model_copy(
        update={"http": settings.http.model_copy(update={"max_media_bytes": 4096})}
    )
    mp4 = write_video(tmp_path / "a.mp4", frames=40, size=(320, 240)).read_bytes()
    assert len(mp4) > 4096

    async def chunked() -> AsyncIterator[bytes]:  # no Content-Length: counted as it arrives
        for start in range(0, len(mp4), 1000):
            yield mp4[start : start + 1000]

    async with running_app(small) as (services, client):
        auth = await Accounts(services, client).headers("big")
        video_id = await new_video(client, auth)
        before = await snapshot(services)
        declared = await put_file(client, auth, video_id, mp4, "video/mp4")
        assert_problem(declared, 413)
        streamed = await client.put(
            f"{VIDEOS}/{video_id}/media",
            headers={**auth, "Content-Type": "video/mp4"},
            content=chunked(),
        )
        assert_problem(streamed, 413)
        assert await snapshot(services) == before
        assert files_under(small) == []


async def test_media_of_another_user_or_a_viewer(
    accounts: Accounts, services: Runtime, tmp_path: Path
) -> None:
    owner = await accounts.headers("owner1")
    intruder = await accounts.headers("intruder1")
    viewer = await accounts.headers("viewer1", Role.VIEWER)
    admin = await accounts.headers("admin1", Role.ADMIN)
    video_id = await new_video(accounts.client, owner)
    mp4 = write_video(tmp_path / "a.mp4").read_bytes()
    before = await snapshot(services)
    for who, status in ((intruder, 404), (viewer, 403)):
        assert_problem(await put_file(accounts.client, who, video_id, mp4, "video/mp4"), status)
        assert_problem(
            await put_file(
                accounts.client,
                who,
                video_id,
                image_bytes("image/png"),
                "image/png",
                kind="thumbnail",
            ),
            status,
        )
    for missing in (str(uuid.uuid4()), "not-a-uuid"):
        assert_problem(await put_file(accounts.client, owner, missing, mp4, "video/mp4"), 404)
    assert await snapshot(services) == before
    assert files_under(services.settings) == []
    # The owner's upload; the intruder cannot read it, an admin can.
    assert (await put_file(accounts.client, owner, video_id, mp4, "video/mp4")).status_code == 200
    url = f"{VIDEOS}/{video_id}/media"
    assert_problem(await accounts.client.get(url, headers=intruder), 404)
    assert (await accounts.client.get(url, headers=admin)).content == mp4


async def test_thumbnails(accounts: Accounts, services: Runtime) -> None:
    auth = await accounts.headers("thumbs")
    video_id = await new_video(accounts.client, auth)
    before = await snapshot(services)
    png = image_bytes("image/png", (64, 36))
    for body, content_type, status in (
        (png, "image/jpeg", 422),  # a PNG with a lying content type
        (png, "image/gif", 415),
        (png[:40], "image/png", 422),
        (b"\0" * (2 * 1024 * 1024 + 1), "image/png", 413),
    ):
        response = await put_file(
            accounts.client, auth, video_id, body, content_type, kind="thumbnail"
        )
        assert_problem(response, status)
    assert await snapshot(services) == before
    assert files_under(services.settings) == []
    for content_type, size in (("image/png", (64, 36)), ("image/jpeg", (1280, 720))):
        data = image_bytes(content_type, size)
        response = await put_file(
            accounts.client, auth, video_id, data, content_type, kind="thumbnail"
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "size": len(data),
            "content_type": content_type,
            "width": size[0],
            "height": size[1],
        }
        stored = services.settings.paths.thumbnail_file(uuid.UUID(video_id))
        assert stored.read_bytes() == data
    assert files_under(services.settings) == [f"thumbnails/{video_id}"]
    assert "video.thumbnail_upload" in await audit_actions(services)
    video = (await accounts.client.get(f"{VIDEOS}/{video_id}", headers=auth)).json()
    assert video["thumbnail"] == response.json() and video["media"] is None


async def test_deleting_the_video_removes_its_files(
    accounts: Accounts, services: Runtime, tmp_path: Path
) -> None:
    auth = await accounts.headers("deleter")
    video_id = await new_video(accounts.client, auth)
    mp4 = write_video(tmp_path / "a.mp4").read_bytes()
    assert (await put_file(accounts.client, auth, video_id, mp4, "video/mp4")).status_code == 200
    png = image_bytes("image/png")
    response = await put_file(accounts.client, auth, video_id, png, "image/png", kind="thumbnail")
    assert response.status_code == 200
    assert len(files_under(services.settings)) == 2
    assert (await accounts.client.delete(f"{VIDEOS}/{video_id}", headers=auth)).status_code == 204
    assert files_under(services.settings) == []


async def test_a_rolled_back_upload_restores_the_previous_file(
    accounts: Accounts, services: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = await accounts.headers("rollback")
    video_id = await new_video(accounts.client, auth)
    first = write_video(tmp_path / "a.mp4").read_bytes()
    assert (await put_file(accounts.client, auth, video_id, first, "video/mp4")).status_code == 200
    before = await snapshot(services)

    async def failing_record(*_args: object, **_kwargs: object) -> None:
        # After the file was swapped in; any error rolls the request back.
        raise ProblemError(503, "The audit trail is unavailable.")

    monkeypatch.setattr(media_service, "record", failing_record)
    second = write_video(tmp_path / "b.webm", "video/webm").read_bytes()
    assert_problem(await put_file(accounts.client, auth, video_id, second, "video/webm"), 503)
    assert await snapshot(services) == before
    assert files_under(services.settings) == [f"media/{video_id}"]
    assert services.settings.paths.media_file(uuid.UUID(video_id)).read_bytes() == first
    # And a first upload that rolls back leaves no file at all.
    other = await new_video(accounts.client, auth)
    assert_problem(await put_file(accounts.client, auth, other, second, "video/webm"), 503)
    assert files_under(services.settings) == [f"media/{video_id}"]
