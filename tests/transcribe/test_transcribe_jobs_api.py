"""Transcription uploads and the jobs API, in process with the embedded worker."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import httpx
import pytest

from faceless.models import Role
from faceless.runtime.container import Runtime
from faceless.transcribe import service as transcribe_service
from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts, make_settings, running_app
from tests.speech.audio import PNG_HEAD

TRANSCRIBE = "/api/v1/transcribe"


async def wait_for(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], timeout: float = 120
) -> dict[str, object]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        job: dict[str, object] = (await client.get(url, headers=headers)).json()
        if job["status"] in ("succeeded", "failed", "cancelled") or loop.time() > deadline:
            return job
        await asyncio.sleep(0.2)


async def upload(
    client: httpx.AsyncClient, headers: dict[str, str], path: Path, **data: str
) -> httpx.Response:
    with path.open("rb") as audio:
        return await client.post(
            TRANSCRIBE, headers=headers, files={"file": ("clip.wav", audio, "audio/wav")}, data=data
        )


async def test_upload_transcribe_download_delete(
    accounts: Accounts, speech_wav: Path, services: Runtime
) -> None:
    auth = await accounts.headers("tess")
    response = await upload(accounts.client, auth, speech_wav)
    assert response.status_code == 202, response.text
    job_url = response.headers["location"]
    assert response.json()["status"] == "queued" and response.json()["kind"] == "transcribe"
    job = await wait_for(accounts.client, job_url, auth)
    assert job["status"] == "succeeded" and job["progress"] == 1
    assert job["started_at"] and job["finished_at"] and job["error"] is None
    as_json = (await accounts.client.get(f"{job_url}/result", headers=auth)).json()
    assert set(as_json) == {"text", "language", "duration_seconds", "engine", "segments", "words"}
    assert as_json["words"] and {frozenset(w) for w in as_json["words"]} == {
        frozenset({"start", "end", "text"})
    }
    text = await accounts.client.get(f"{job_url}/result?format=txt", headers=auth)
    assert text.headers["content-type"] == "text/plain; charset=utf-8"
    assert_problem(await accounts.client.get(f"{job_url}/result?format=doc", headers=auth), 422)
    listing = (
        await accounts.client.get("/api/v1/jobs?kind=transcribe&status=succeeded", headers=auth)
    ).json()
    assert [item["id"] for item in listing["items"]] == [job["id"]]
    # The upload itself is transient.
    assert not any((services.settings.paths.uploads).iterdir())
    assert (await accounts.client.delete(job_url, headers=auth)).status_code == 204
    assert_problem(await accounts.client.get(job_url, headers=auth), 404)


async def test_bad_uploads_are_rejected_and_change_nothing(
    accounts: Accounts, services: Runtime, speech_wav: Path, tmp_path: Path
) -> None:
    auth = await accounts.headers("badup")
    other = await accounts.headers("otheruser")
    foreign = (
        await accounts.client.post("/api/v1/videos", headers=other, json={"title": "x"})
    ).json()
    not_audio = tmp_path / "picture.wav"
    not_audio.write_bytes(PNG_HEAD + b"\x00" * 2048)
    text_file = tmp_path / "notes.wav"
    text_file.write_text("this is not audio at all " * 100)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(speech_wav.read_bytes()[:44])  # a WAV header and no samples
    before = await snapshot(services)
    assert_problem(await upload(accounts.client, auth, not_audio), 415)
    assert_problem(await upload(accounts.client, auth, text_file), 415)
    assert_problem(await upload(accounts.client, auth, empty), 422)
    assert_problem(await upload(accounts.client, auth, truncated), 422)
    assert_problem(await upload(accounts.client, auth, speech_wav, language="de"), 422)
    assert_problem(await upload(accounts.client, auth, speech_wav, video_id=foreign["id"]), 404)
    assert_problem(await upload(accounts.client, auth, speech_wav, video_id="not-a-uuid"), 422)
    # A form that is not multipart is the wrong media type; multipart without the file, a 422.
    assert_problem(
        await accounts.client.post(TRANSCRIBE, headers=auth, data={"language": "en"}), 415
    )
    no_file = await accounts.client.post(
        TRANSCRIBE, headers=auth, data={"language": "en"}, files={"other": ("a.txt", b"hello")}
    )
    assert_problem(no_file, 422)
    assert await snapshot(services) == before
    uploads = services.settings.paths.uploads
    assert not uploads.exists() or not any(uploads.iterdir())


async def test_audio_over_the_duration_limit_is_422(
    tmp_path: Path, database_url: str, speech_wav: Path
) -> None:
    settings = make_settings(tmp_path, database_url, max_audio_seconds=2.0)
    async with running_app(settings) as (services, client):
        accounts = Accounts(services, client)
        auth = await accounts.headers("longclip")
        before = await snapshot(services)
        body = assert_problem(await upload(client, auth, speech_wav), 422)
        assert "at most 2 s" in body["errors"][0]["msg"]
        assert await snapshot(services) == before


async def test_cancel_then_delete(accounts: Accounts, speech_wav: Path) -> None:
    auth = await accounts.headers("canceller")
    viewer = await accounts.headers("watcher", Role.VIEWER)
    response = await upload(accounts.client, auth, speech_wav)
    job_url = response.headers["location"]
    cancelled = await accounts.client.delete(job_url, headers=auth)
    assert cancelled.status_code in (200, 204)
    if cancelled.status_code == 200:  # still queued or running: it is cancelled, not deleted
        assert cancelled.json()["status"] == "cancelled"
        job = await wait_for(accounts.client, job_url, auth, timeout=30)
        assert job["status"] == "cancelled"
        assert_problem(await accounts.client.get(f"{job_url}/result", headers=auth), 409)
        assert (await accounts.client.delete(job_url, headers=auth)).status_code == 204
    assert_problem(await accounts.client.get(job_url, headers=auth), 404)
    assert_problem(await accounts.client.delete(job_url, headers=viewer), 403)


async def test_a_rolled_back_upload_sends_nothing_and_leaves_no_file(
    accounts: Accounts, services: Runtime, speech_wav: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The upload is stored, then the request fails inside its transaction: no job row,
    no message to a worker, no file left behind."""
    auth = await accounts.headers("rollback")
    sent: list[object] = []
    real_enqueue = services.queue.enqueue

    async def spy(job_id: uuid.UUID) -> None:
        sent.append(job_id)
        await real_enqueue(job_id)

    async def audit_down(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("audit trail unavailable")

    monkeypatch.setattr(services.queue, "enqueue", spy)
    before = await snapshot(services)
    monkeypatch.setattr(transcribe_service, "record", audit_down)
    # The in-process client re-raises what the server answered with a generic 500.
    with pytest.raises(RuntimeError, match="audit trail unavailable"):
        await upload(accounts.client, auth, speech_wav)
    assert sent == []
    assert await snapshot(services) == before
    uploads = services.settings.paths.uploads
    assert not uploads.exists() or not any(uploads.iterdir())
    # The same request with the audit trail back commits, and only then is the job sent.
    monkeypatch.undo()
    monkeypatch.setattr(services.queue, "enqueue", spy)
    response = await upload(accounts.client, auth, speech_wav)
    assert response.status_code == 202, response.text
    assert [str(job_id) for job_id in sent] == [response.json()["id"]]
