"""Uploads whose header omits or understates their length are measured by decoding, up to
the limit only: a 422 at upload, nothing stored, nothing queued (ADR 0013).

How much is decoded is checked in ``tests/speech/test_decode_limits.py``; here, that the
API answers with the problem document on both databases.
"""

from __future__ import annotations

from pathlib import Path

from tests.api.helpers import assert_problem, snapshot
from tests.conftest import Accounts, make_settings, running_app
from tests.transcribe.test_transcribe_jobs_api import upload


async def test_lying_headers_are_a_422_at_upload(
    tmp_path: Path, database_url: str, lying_audio: dict[str, Path], speech_wav: Path
) -> None:
    settings = make_settings(tmp_path, database_url, max_audio_seconds=2.0)
    async with running_app(settings) as (services, client):
        auth = await Accounts(services, client).headers("liar")
        before = await snapshot(services)
        for name, path in lying_audio.items():
            body = assert_problem(await upload(client, auth, path), 422)
            (error,) = body["errors"]
            assert error["loc"] == ["body", "file"], name
            if name == "wav-unknown-size":  # FFmpeg's estimate from the size is believed
                assert error["msg"] == "The audio is 30 s long; at most 2 s is accepted."
            else:
                assert error["msg"] == "The audio is longer than 2 s; at most 2 s is accepted.", (
                    name
                )
        assert await snapshot(services) == before
        assert not any(settings.paths.uploads.iterdir())
