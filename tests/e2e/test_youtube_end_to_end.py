"""Publishing to YouTube end to end, in production shape, against the fake of Google.

Real processes (``faceless serve``, a Celery ``faceless worker``, a ``faceless
scheduler``) on a private PostgreSQL and Redis; Google is the protocol-faithful fake
of tests.publishing.fake_youtube, a real HTTP server on 127.0.0.1 that the worker
reaches through ``YOUTUBE_TOKEN_URL`` / ``YOUTUBE_*_BASE_URL``. A user creates a video,
uploads its media and thumbnail, transcribes speech for it and schedules it; the worker
publishes it: one token refresh, the resumable session with the exact snippet and
status, every byte (after one dropped connection and a resume), the captions and the
thumbnail. The schedule is ``published`` and the video carries the YouTube id.
"""

from __future__ import annotations

import hashlib
import os
import ssl
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import av
import httpx
import pytest
from av.video.codeccontext import VideoCodecContext

from tests.e2e.test_end_to_end import FACELESS, PASSWORD, _base_env, _bearer, _login, _poll
from tests.fixtures import ManagedProcess, PostgresCluster, RedisServer, free_port
from tests.media.samples import image_bytes
from tests.publishing.fake_youtube import BLOCK, FakeYouTube, Fault, fake_youtube, fresh_credentials

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

CREDENTIALS = fresh_credentials()


@dataclass
class Stack:
    base_url: str
    admin_password: str
    var_dir: Path
    google: FakeYouTube


def noisy_video(path: Path, *, seconds: int = 2, rate: int = 10) -> Path:
    """A real MP4 of random frames: large enough (over 256 KiB) to be sent in blocks."""
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=rate)
        assert isinstance(stream.codec_context, VideoCodecContext)
        stream.codec_context.width, stream.codec_context.height = 320, 240
        stream.codec_context.pix_fmt = "yuv420p"
        stream.codec_context.bit_rate = 8_000_000
        stream.codec_context.time_base = Fraction(1, rate)
        for _ in range(seconds * rate):
            frame = av.VideoFrame(320, 240, "yuv420p")
            for plane in frame.planes:
                plane.update(os.urandom(plane.buffer_size))
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def stack(
    pg_cluster: PostgresCluster, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    database = "yt_" + uuid.uuid4().hex[:8]
    pg_cluster.create_database(database)
    var_dir = tmp_path_factory.mktemp("youtube-e2e-var")
    port = free_port()
    with fake_youtube(**CREDENTIALS) as google:
        env = {
            "FACELESS_ENV": "development",
            "DATABASE_URL": pg_cluster.dsn(database),
            "REDIS_URL": redis_server.url(db=4),
            "FACELESS_VAR_DIR": str(var_dir),
            "PUBLIC_URL": f"https://localhost:{port}",
            "SCHEDULER_INTERVAL_SECONDS": "1",
            # The secret store's env backend: the worker publishes with these.
            "YOUTUBE_CLIENT_ID": CREDENTIALS["client_id"],
            "YOUTUBE_CLIENT_SECRET": CREDENTIALS["client_secret"],
            "YOUTUBE_REFRESH_TOKEN": CREDENTIALS["refresh_token"],
            **google.settings_env(),
        }
        subprocess.run([FACELESS, "migrate"], env={**_base_env(), **env}, check=True, timeout=120)
        api = ManagedProcess(
            [FACELESS, "serve", "--port", str(port), "--redirect-port", "0"], env=env, name="api"
        ).start()
        processes = [api]
        try:
            match = api.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=60)
            api.wait_for_port(port, "127.0.0.1", timeout=60)
            worker = ManagedProcess([FACELESS, "worker"], env=env, name="worker").start()
            processes.append(worker)
            processes.append(
                ManagedProcess([FACELESS, "scheduler"], env=env, name="scheduler").start()
            )
            worker.wait_for_line(r"ready", timeout=60)
            yield Stack(f"https://localhost:{port}", match.group(1), var_dir, google)
        finally:
            for process in reversed(processes):
                process.stop()
            pg_cluster.drop_database(database)


def _put(
    http: httpx.Client, url: str, auth: dict[str, str], body: bytes, kind: str
) -> dict[str, object]:
    response = http.put(url, headers={**auth, "Content-Type": kind}, content=body)
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def test_a_scheduled_video_reaches_youtube(stack: Stack, speech_wav: Path, tmp_path: Path) -> None:
    google = stack.google
    media = noisy_video(tmp_path / "video.mp4").read_bytes()
    assert len(media) > 2 * BLOCK
    thumbnail = image_bytes("image/jpeg", (320, 180))
    trust = ssl.create_default_context(cafile=stack.var_dir / "tls" / "ca.pem")
    with httpx.Client(base_url=stack.base_url, timeout=60, verify=trust) as http:
        admin = _bearer(_login(http, "admin", stack.admin_password))
        created = http.post(
            "/api/v1/users",
            headers=admin,
            json={"username": "carol", "password": PASSWORD, "role": "editor"},
        )
        assert created.status_code == 201, created.text
        carol = _bearer(_login(http, "carol", PASSWORD))

        video = http.post(
            "/api/v1/videos",
            headers=carol,
            json={
                "title": "Rivers beat rock",
                "description": "Why water wins.",
                "tags": ["rivers", "geology"],
                "made_for_kids": False,
                "contains_synthetic_media": True,
                "category_id": "27",
                "default_language": "en",
            },
        ).json()
        # Without media, YouTube cannot take it: scheduling says what is missing.
        soon = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
        early = http.post(
            "/api/v1/schedule", headers=carol, json={"video_id": video["id"], "publish_at": soon}
        )
        assert early.status_code == 409, early.text

        stored = _put(http, f"/api/v1/videos/{video['id']}/media", carol, media, "video/mp4")
        assert stored["sha256"] == hashlib.sha256(media).hexdigest()
        _put(http, f"/api/v1/videos/{video['id']}/thumbnail", carol, thumbnail, "image/jpeg")

        with speech_wav.open("rb") as audio:
            upload = http.post(
                "/api/v1/transcribe",
                headers=carol,
                files={"file": ("speech.wav", audio, "audio/wav")},
                data={"video_id": video["id"], "language": "en"},
            )
        assert upload.status_code == 202, upload.text
        job = _poll(http, upload.headers["location"], carol, {"succeeded", "failed"}, timeout=180)
        assert job["status"] == "succeeded", job

        # The first chunk's connection drops after 300 KiB: Google keeps one 256 KiB block.
        google.fail("upload", Fault(drop_after=300 * 1024))
        publish_at = datetime.now(UTC) + timedelta(seconds=2)
        schedule = http.post(
            "/api/v1/schedule",
            headers=carol,
            json={
                "video_id": video["id"],
                "publish_at": publish_at.isoformat(),
                "privacy": "public",
            },
        )
        assert schedule.status_code == 201, schedule.text
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            items = http.get("/api/v1/schedule", headers=carol).json()["items"]
            if items[0]["status"] != "pending":
                break
            time.sleep(0.5)
        assert (items[0]["status"], items[0]["detail"]) == ("published", None), items
        published = http.get(f"/api/v1/videos/{video['id']}", headers=carol).json()

    assert len(google.token_requests) == 1
    assert google.token_requests[0]["refresh_token"] == CREDENTIALS["refresh_token"]
    (youtube_id,) = google.videos
    session = google.videos[youtube_id]
    assert session.resource == {
        "snippet": {
            "title": "Rivers beat rock",
            "description": "Why water wins.",
            "tags": ["rivers", "geology"],
            "categoryId": "27",
            "defaultLanguage": "en",
        },
        "status": {
            "privacyStatus": "public",
            "selfDeclaredMadeForKids": False,
            "containsSyntheticMedia": True,
        },
    }
    assert session.headers["x-upload-content-type"] == "video/mp4"
    assert bytes(session.data) == media
    size = len(media)
    assert google.puts[:3] == [
        f"bytes 0-{size - 1}/{size}",  # dropped after 300 KiB
        f"bytes */{size}",  # 308, Range: bytes=0-262143
        f"bytes {BLOCK}-{size - 1}/{size}",  # the rest
    ]
    (captions,) = google.captions
    assert captions.metadata is not None
    assert captions.metadata["snippet"]["videoId"] == youtube_id
    assert captions.body.startswith(b"WEBVTT")
    (thumb,) = google.thumbnails
    assert (thumb.query["videoId"], thumb.content_type, thumb.body) == (
        youtube_id,
        "image/jpeg",
        thumbnail,
    )
    assert published["status"] == "published" and published["youtube_id"] == youtube_id
