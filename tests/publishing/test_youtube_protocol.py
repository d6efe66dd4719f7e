"""The YouTube publisher against a protocol-faithful fake of Google (tests.publishing.fake_youtube),
over real HTTP: token refresh and its cache, the resumable session, chunked upload with
resume after a dropped connection or a 5xx, captions, thumbnail, and the error mapping."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from faceless.publishing.base import (
    CredentialsRefusedError,
    PublishDeferredError,
    PublishError,
    PublishPackage,
)
from faceless.publishing.google_oauth import EARLY_SECONDS, TokenCache
from faceless.publishing.quota import next_reset
from faceless.publishing.youtube import BLOCK, YouTubePublisher
from faceless.publishing.youtube_api import Retry
from faceless.secrets.base import Secret
from faceless.settings import YouTubeSettings
from tests.publishing.fake_youtube import FakeYouTube, Fault, fake_youtube, fresh_credentials

CREDENTIALS = fresh_credentials()
CLIENT_ID, CLIENT_SECRET, REFRESH = CREDENTIALS.values()
VTT = "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nhello foxes\n"


@pytest.fixture
def google() -> Iterator[FakeYouTube]:
    with fake_youtube(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, refresh_token=REFRESH
    ) as fake:
        yield fake


def make_publisher(
    fake: FakeYouTube, media_dir: Path, *, tokens: TokenCache | None = None, retries: int = 3
) -> YouTubePublisher:
    return YouTubePublisher(
        client_id=Secret("YOUTUBE_CLIENT_ID", CLIENT_ID, backend="test"),
        client_secret=Secret("YOUTUBE_CLIENT_SECRET", CLIENT_SECRET, backend="test"),
        refresh_token=Secret("YOUTUBE_REFRESH_TOKEN", REFRESH, backend="test"),
        media_dir=media_dir,
        settings=YouTubeSettings(
            token_url=f"{fake.url}/token",
            api_base_url=fake.url,
            upload_base_url=f"{fake.url}/upload",
        ),
        chunk_size=BLOCK,
        retry=Retry(retries=retries, backoff_seconds=0.01),
        tokens=tokens or TokenCache(),
    )


def package_for(video_id: uuid.UUID, **changes: object) -> PublishPackage:
    fields: dict[str, object] = {
        "video_id": video_id,
        "schedule_id": uuid.uuid4(),
        "title": "Rivers beat rock",
        "description": "Why water wins.\nEvery time.",
        "tags": ("rivers", "geology"),
        "privacy": "unlisted",
        "publish_at": datetime.now(UTC),
        "media_content_type": "video/webm",
        "made_for_kids": True,
        "contains_synthetic_media": True,
        "category_id": "27",
        "default_language": "en-GB",
    }
    fields.update(changes)
    return PublishPackage(**fields)  # type: ignore[arg-type]


def write_media(media_dir: Path, video_id: uuid.UUID, size: int) -> bytes:
    media_dir.mkdir(parents=True, exist_ok=True)
    data = os.urandom(size)
    (media_dir / str(video_id)).write_bytes(data)
    return data


async def test_publish_walks_the_whole_protocol_and_resumes_a_dropped_upload(
    google: FakeYouTube, tmp_path: Path
) -> None:
    video_id = uuid.uuid4()
    media = write_media(tmp_path / "media", video_id, 3 * BLOCK + 1234)
    thumbnail = tmp_path / "thumb"
    thumbnail.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(64))
    # The second chunk's connection drops after 100 KiB: nothing of it is kept.
    google.fail("upload", None, Fault(drop_after=100 * 1024))
    publisher = make_publisher(google, tmp_path / "media")
    package = package_for(
        video_id,
        captions_vtt=VTT,
        captions_language="en",
        thumbnail_path=thumbnail,
        thumbnail_content_type="image/png",
    )
    receipt = await publisher.publish(package)

    (form,) = google.token_requests
    assert form == {
        "grant_type": "refresh_token",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "refresh_token": REFRESH,
    }
    (youtube_id,) = google.videos
    session = google.videos[youtube_id]
    assert session.resource == {
        "snippet": {
            "title": "Rivers beat rock",
            "description": "Why water wins.\nEvery time.",
            "tags": ["rivers", "geology"],
            "categoryId": "27",
            "defaultLanguage": "en-GB",
        },
        "status": {
            "privacyStatus": "unlisted",
            "selfDeclaredMadeForKids": True,
            "containsSyntheticMedia": True,
        },
    }
    assert session.headers["x-upload-content-type"] == "video/webm"
    assert session.headers["x-upload-content-length"] == str(len(media))
    assert hashlib.sha256(session.data).digest() == hashlib.sha256(media).digest()
    size = len(media)
    assert google.puts == [
        f"bytes 0-{BLOCK - 1}/{size}",
        f"bytes {BLOCK}-{2 * BLOCK - 1}/{size}",  # dropped
        f"bytes */{size}",  # where are we? 308 Range: bytes=0-(BLOCK-1)
        f"bytes {BLOCK}-{2 * BLOCK - 1}/{size}",
        f"bytes {2 * BLOCK}-{3 * BLOCK - 1}/{size}",
        f"bytes {3 * BLOCK}-{size - 1}/{size}",
    ]
    (captions,) = google.captions
    assert captions.query == {"part": "snippet", "uploadType": "multipart"}
    assert captions.metadata == {
        "snippet": {"videoId": youtube_id, "language": "en", "name": "Transcript", "isDraft": False}
    }
    assert captions.body.decode().strip() == VTT.strip()
    (thumb,) = google.thumbnails
    assert thumb.query["videoId"] == youtube_id
    assert (thumb.content_type, thumb.body) == ("image/png", thumbnail.read_bytes())
    assert receipt.reference == f"youtube:{youtube_id}"
    assert receipt.details == {"captions": "uploaded", "thumbnail": "uploaded"}
    assert REFRESH not in repr(vars(publisher))


async def test_access_token_is_cached_until_shortly_before_it_expires(
    google: FakeYouTube, tmp_path: Path
) -> None:
    now = [1000.0]
    tokens = TokenCache(clock=lambda: now[0])
    publisher = make_publisher(google, tmp_path / "media", tokens=tokens)

    async def publish_one() -> None:
        video_id = uuid.uuid4()
        write_media(tmp_path / "media", video_id, 3 * BLOCK)  # a session and three PUTs
        await publisher.publish(package_for(video_id))

    await publish_one()
    await publish_one()
    assert len(google.token_requests) == 1  # every request of both publishes shared it
    now[0] += google.token_lifetime - EARLY_SECONDS - 1
    await publish_one()
    assert len(google.token_requests) == 1
    now[0] += 2  # inside the margin before Google's expiry: a new one
    await publish_one()
    assert len(google.token_requests) == 2
    assert len(google.videos) == 4


async def test_a_revoked_access_token_is_replaced_once(google: FakeYouTube, tmp_path: Path) -> None:
    publisher = make_publisher(google, tmp_path / "media")
    video_id = uuid.uuid4()
    write_media(tmp_path / "media", video_id, 1000)
    await publisher.publish(package_for(video_id))
    google.access_tokens.clear()  # Google forgot it early
    await publisher.publish(package_for(video_id))
    assert len(google.token_requests) == 2 and len(google.videos) == 2


async def test_5xx_answers_are_retried_then_the_upload_resumes(
    google: FakeYouTube, tmp_path: Path
) -> None:
    video_id = uuid.uuid4()
    media = write_media(tmp_path / "media", video_id, 2 * BLOCK)
    google.fail("insert", Fault(503), Fault(500))
    google.fail("upload", Fault(503), Fault(502))  # chunk 1 fails, so does the status query
    receipt = await make_publisher(google, tmp_path / "media").publish(package_for(video_id))
    (youtube_id,) = google.videos
    assert receipt.reference == f"youtube:{youtube_id}"
    assert bytes(google.videos[youtube_id].data) == media
    assert len(google.sessions) == 1  # the session was made once, after two 5xx


async def test_5xx_without_end_is_a_bounded_failure(google: FakeYouTube, tmp_path: Path) -> None:
    video_id = uuid.uuid4()
    write_media(tmp_path / "media", video_id, 1000)
    google.fail("insert", *[Fault(503)] * 10)
    with pytest.raises(PublishError, match="kept failing") as caught:
        await make_publisher(google, tmp_path / "media", retries=2).publish(package_for(video_id))
    assert not isinstance(caught.value, PublishDeferredError)
    assert len(google.faults["insert"]) == 7  # 1 try + 2 retries
    assert not google.videos


async def test_quota_exceeded_defers_to_the_pacific_midnight(
    google: FakeYouTube, tmp_path: Path
) -> None:
    video_id = uuid.uuid4()
    write_media(tmp_path / "media", video_id, 1000)
    google.fail("insert", Fault(403, "quotaExceeded"))
    before = datetime.now(UTC)
    with pytest.raises(PublishDeferredError) as caught:
        await make_publisher(google, tmp_path / "media").publish(package_for(video_id))
    assert caught.value.quota_spent
    assert caught.value.not_before == next_reset(before)
    assert not google.sessions and not google.videos


async def test_rate_limit_is_retried_with_backoff_then_deferred(
    google: FakeYouTube, tmp_path: Path
) -> None:
    video_id = uuid.uuid4()
    write_media(tmp_path / "media", video_id, 1000)
    google.fail("insert", Fault(403, "rateLimitExceeded"))
    await make_publisher(google, tmp_path / "media").publish(package_for(video_id))
    assert len(google.videos) == 1  # one rate limit, then through

    google.fail("insert", *[Fault(403, "rateLimitExceeded")] * 4)
    before = datetime.now(UTC)
    with pytest.raises(PublishDeferredError) as caught:
        await make_publisher(google, tmp_path / "media").publish(package_for(video_id))
    assert not caught.value.quota_spent
    assert before + timedelta(minutes=14) < caught.value.not_before
    assert len(google.videos) == 1


async def test_invalid_grant_is_refused_credentials(google: FakeYouTube, tmp_path: Path) -> None:
    video_id = uuid.uuid4()
    write_media(tmp_path / "media", video_id, 1000)
    google.revoked = True
    with pytest.raises(CredentialsRefusedError) as caught:
        await make_publisher(google, tmp_path / "media").publish(package_for(video_id))
    assert "invalid_grant" in str(caught.value)
    assert REFRESH not in str(caught.value) and CLIENT_SECRET not in str(caught.value)
    assert not google.sessions


async def test_captions_or_thumbnail_failing_does_not_fail_the_published_video(
    google: FakeYouTube, tmp_path: Path
) -> None:
    video_id = uuid.uuid4()
    write_media(tmp_path / "media", video_id, 1000)
    thumbnail = tmp_path / "thumb.jpg"
    thumbnail.write_bytes(b"\xff\xd8\xff" + os.urandom(32))
    google.fail("captions", Fault(403, "quotaExceeded"))
    google.fail("thumbnail", Fault(400, "invalidImage"))
    receipt = await make_publisher(google, tmp_path / "media").publish(
        package_for(video_id, captions_vtt=VTT, thumbnail_path=thumbnail)
    )
    assert receipt.details == {
        "captions": "failed: quota exceeded",
        "thumbnail": "failed: HTTP 400",
    }
    assert len(google.videos) == 1


async def test_a_session_uri_on_another_origin_is_never_sent_the_token(
    google: FakeYouTube, tmp_path: Path
) -> None:
    video_id = uuid.uuid4()
    write_media(tmp_path / "media", video_id, 1000)
    google.session_origin = "http://localhost:9"  # not the upload base URL's origin
    with pytest.raises(PublishError, match="unexpected host"):
        await make_publisher(google, tmp_path / "media").publish(package_for(video_id))
    assert not google.puts


async def test_missing_media_fails_before_any_request(google: FakeYouTube, tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="No media has been uploaded"):
        await make_publisher(google, tmp_path / "media").publish(package_for(uuid.uuid4()))
    assert not google.token_requests


def test_base_urls_are_https_unless_on_this_host() -> None:
    with pytest.raises(ValueError, match="YOUTUBE_TOKEN_URL"):
        YouTubeSettings(token_url="http://oauth.example.com/token")
    with pytest.raises(ValueError, match="YOUTUBE_UPLOAD_BASE_URL"):
        YouTubeSettings(upload_base_url="ftp://127.0.0.1/upload")
    local = YouTubeSettings(api_base_url="http://[::1]:8080/")
    assert local.api_base_url == "http://[::1]:8080"
    assert json.loads(json.dumps(YouTubeSettings().daily_quota_units)) == 10_000
