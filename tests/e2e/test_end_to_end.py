"""The whole product over real HTTP, in production shape.

Real processes: ``faceless serve`` (uvicorn), a Celery ``faceless worker`` and two
``faceless scheduler`` processes, on a private PostgreSQL and a private Redis. A
user signs in, writes and analyses a video, uploads speech made by espeak-ng,
downloads its captions, schedules the video two seconds ahead and finds exactly
one package in the outbox; another user sees none of it.
"""

from __future__ import annotations

import itertools
import json
import re
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.fixtures import ManagedProcess, PostgresCluster, RedisServer, free_port
from tests.speech.audio import SENTENCE, SENTENCE_WORDS

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

FACELESS = str(Path(sys.executable).with_name("faceless"))
PASSWORD = "e2e password that is long"


@dataclass
class Stack:
    base_url: str
    admin_password: str
    var_dir: Path
    processes: list[ManagedProcess]


def _env(database_url: str, redis_url: str, var_dir: Path, port: int) -> dict[str, str]:
    return {
        "FACELESS_ENV": "development",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "FACELESS_VAR_DIR": str(var_dir),
        "PUBLIC_URL": f"https://localhost:{port}",
        "SCHEDULER_INTERVAL_SECONDS": "1",
    }


@pytest.fixture(scope="module")
def stack(
    pg_cluster: PostgresCluster, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    database = "e2e_" + uuid.uuid4().hex[:8]
    pg_cluster.create_database(database)
    var_dir = tmp_path_factory.mktemp("e2e-var")
    port = free_port()
    env = _env(pg_cluster.dsn(database), redis_server.url(db=3), var_dir, port)
    subprocess.run([FACELESS, "migrate"], env={**_base_env(), **env}, check=True, timeout=120)
    # Real HTTPS straight to the app (the dev CA is generated on first start).
    api = ManagedProcess(
        [FACELESS, "serve", "--port", str(port), "--redirect-port", "0"], env=env, name="api"
    ).start()
    processes = [api]
    try:
        match = api.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=60)
        api.wait_for_port(port, "127.0.0.1", timeout=60)
        processes.append(ManagedProcess([FACELESS, "worker"], env=env, name="worker").start())
        processes.append(
            ManagedProcess([FACELESS, "scheduler"], env=env, name="scheduler-1").start()
        )
        processes.append(
            ManagedProcess([FACELESS, "scheduler"], env=env, name="scheduler-2").start()
        )
        processes[1].wait_for_line(r"ready", timeout=60)
        yield Stack(f"https://localhost:{port}", match.group(1), var_dir, processes)
    finally:
        for process in reversed(processes):
            process.stop()
        pg_cluster.drop_database(database)


def _base_env() -> dict[str, str]:
    import os

    return dict(os.environ)


def _login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    response = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    tokens: dict[str, str] = response.json()
    return tokens


def _bearer(tokens: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _poll(
    http: httpx.Client, url: str, headers: dict[str, str], done: set[str], timeout: float
) -> dict[str, object]:
    """Poll like a well-behaved client: the job tier allows 30 requests a minute."""
    deadline = time.monotonic() + timeout
    while True:
        response = http.get(url, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, object] = response.json()
        if body.get("status") in done or time.monotonic() > deadline:
            return body
        time.sleep(2.5)


_CUE = re.compile(r"(\d\d):(\d\d):(\d\d)[,.](\d\d\d) --> (\d\d):(\d\d):(\d\d)[,.](\d\d\d)")


def _cue_times(text: str) -> list[tuple[float, float]]:
    def seconds(h: str, m: str, s: str, ms: str) -> float:
        return int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000

    return [(seconds(*m.groups()[:4]), seconds(*m.groups()[4:])) for m in _CUE.finditer(text)]


def test_the_whole_product(stack: Stack, speech_wav: Path) -> None:
    trust = ssl.create_default_context(cafile=stack.var_dir / "tls" / "ca.pem")
    with httpx.Client(base_url=stack.base_url, timeout=30, verify=trust) as http:
        admin = _bearer(_login(http, "admin", stack.admin_password))
        for name in ("alice", "bob"):
            created = http.post(
                "/api/v1/users",
                headers=admin,
                json={"username": name, "password": PASSWORD, "role": "editor"},
            )
            assert created.status_code == 201, created.text
        alice_tokens = _login(http, "alice", PASSWORD)
        alice = _bearer(alice_tokens)
        bob = _bearer(_login(http, "bob", PASSWORD))

        video = http.post(
            "/api/v1/videos",
            headers=alice,
            json={"title": "Pizza in the park", "script": SENTENCE, "tags": ["pizza", "park"]},
        ).json()
        analysis = http.post("/api/v1/analyze", headers=alice, json={"video_id": video["id"]})
        assert analysis.status_code == 200
        assert analysis.json()["word_count"] == len(SENTENCE_WORDS)

        with speech_wav.open("rb") as audio:
            upload = http.post(
                "/api/v1/transcribe",
                headers=alice,
                files={"file": ("../../etc/passwd.wav", audio, "audio/wav")},
                data={"video_id": video["id"], "language": "en"},
            )
        assert upload.status_code == 202, upload.text
        job_url = upload.headers["location"]
        job = _poll(http, job_url, alice, {"succeeded", "failed", "cancelled"}, timeout=180)
        worked = datetime.fromisoformat(str(job["finished_at"])) - datetime.fromisoformat(
            str(job["started_at"])
        )
        assert job["status"] == "succeeded", job
        assert job["progress"] == 1

        result = http.get(f"{job_url}/result", headers=alice).json()
        duration = float(result["duration_seconds"])
        assert result["engine"] == "pocketsphinx" and result["language"] == "en"
        heard = set(result["text"].lower().split())
        overlap = len(heard & set(SENTENCE_WORDS)) / len(set(SENTENCE_WORDS))
        print(
            f"\ntranscription: {worked.total_seconds():.1f} s in the worker for {duration:.1f} s of speech; word overlap {overlap:.2f}"
        )
        assert overlap >= 0.3
        for fmt, media in (("srt", "application/x-subrip"), ("vtt", "text/vtt")):
            captions = http.get(f"{job_url}/result?format={fmt}", headers=alice)
            assert captions.status_code == 200
            assert captions.headers["content-type"] == media
            cues = _cue_times(captions.text)
            assert cues, captions.text
            assert all(0 <= start < end <= duration + 0.01 for start, end in cues)
            assert all(a[1] <= b[0] for a, b in itertools.pairwise(cues))
        assert captions.text.startswith("WEBVTT")

        publish_at = datetime.now(UTC) + timedelta(seconds=2)
        schedule = http.post(
            "/api/v1/schedule",
            headers=alice,
            json={
                "video_id": video["id"],
                "publish_at": publish_at.isoformat(),
                "privacy": "public",
            },
        )
        assert schedule.status_code == 201, schedule.text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            items = http.get("/api/v1/schedule", headers=alice).json()["items"]
            if items[0]["status"] != "pending":
                break
            time.sleep(0.5)
        assert items[0]["status"] == "published", items
        time.sleep(2)  # give a second scheduler every chance to publish twice
        packages = [p for p in (stack.var_dir / "outbox").iterdir() if not p.name.startswith(".")]
        assert [p.name for p in packages] == [video["id"]]
        metadata = json.loads((packages[0] / "metadata.json").read_text())
        assert metadata["title"] == "Pizza in the park"
        assert (packages[0] / "captions.srt").exists()
        published = http.get(f"/api/v1/videos/{video['id']}", headers=alice).json()
        assert published["status"] == "published" and published["privacy"] == "public"

        # Bob sees none of it.
        for method, url in (
            ("GET", f"/api/v1/videos/{video['id']}"),
            ("PATCH", f"/api/v1/videos/{video['id']}"),
            ("DELETE", f"/api/v1/videos/{video['id']}"),
            ("GET", job_url),
            ("GET", f"{job_url}/result"),
            ("DELETE", job_url),
            ("DELETE", f"/api/v1/schedule/{schedule.json()['id']}"),
        ):
            kwargs = {"json": {"title": "mine now"}} if method == "PATCH" else {}
            assert http.request(method, url, headers=bob, **kwargs).status_code == 404, (
                method,
                url,
            )
        assert (
            http.post("/api/v1/analyze", headers=bob, json={"video_id": video["id"]}).status_code
            == 404
        )
        for listing in ("/api/v1/videos", "/api/v1/jobs", "/api/v1/schedule"):
            assert http.get(listing, headers=bob).json()["total"] == 0

        # Refresh rotates; replaying the old token revokes the family.
        rotated = http.post(
            "/api/v1/auth/refresh", json={"refresh_token": alice_tokens["refresh_token"]}
        )
        assert rotated.status_code == 200
        replay = http.post(
            "/api/v1/auth/refresh", json={"refresh_token": alice_tokens["refresh_token"]}
        )
        assert replay.status_code == 401
        assert http.get("/api/v1/auth/me", headers=_bearer(rotated.json())).status_code == 401

        # Logout revokes at once, across processes (the revocation lives in the database).
        assert http.post("/api/v1/auth/logout", headers=bob).status_code == 204
        assert http.get("/api/v1/auth/me", headers=bob).status_code == 401

        audit = http.get("/api/v1/audit?limit=100", headers=admin).json()["items"]
        actions = {event["action"] for event in audit}
        assert {
            "auth.login",
            "user.create",
            "video.create",
            "job.create",
            "schedule.create",
            "auth.refresh_reuse",
            "auth.logout",
        } <= actions
        assert http.get("/api/v1/audit/verify", headers=admin).json()["valid"] is True
