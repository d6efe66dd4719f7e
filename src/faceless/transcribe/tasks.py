"""The transcription job body: decode the stored upload, transcribe, return JSON.

Decoding and recognition are CPU-bound and synchronous, so both run in one worker
thread; their checkpoints hop back to the loop through the job monitor, which is
how progress, heartbeats and cancellation reach them. Uploads are transient: the
file is removed once the job has a final outcome (success, failure or cancel),
but kept when the job goes back to the queue so the retry can read it.
"""

from __future__ import annotations

from contextlib import suppress
from pathlib import Path

import anyio.to_thread
import orjson

from faceless.settings import Settings
from faceless.speech import (
    AudioError,
    Transcript,
    UnsupportedLanguageError,
    create_engine,
    decode_pcm16k_mono,
    to_json_dict,
)
from faceless.worker.cancellation import JobError, JobMonitor
from faceless.worker.handlers import JobContext, JobHandler
from faceless.worker.repository import ClaimedJob

# Share of the progress bar given to decoding; recognition takes the rest.
DECODE_SHARE = 0.1


def upload_path(settings: Settings, job: ClaimedJob) -> Path:
    name = job.input_name
    # The name is server-chosen, but a path must never come out of the database unchecked.
    if not name or Path(name).name != name or name.startswith("."):
        raise JobError("The uploaded audio for this job is missing.")
    return settings.paths.uploads / name


async def run_transcription(ctx: JobContext, job: ClaimedJob, monitor: JobMonitor) -> str:
    settings = ctx.settings
    path = upload_path(settings, job)

    def transcribe() -> Transcript:
        pcm = decode_pcm16k_mono(
            path,
            max_seconds=settings.worker.max_audio_seconds,
            checkpoint=lambda p: monitor.checkpoint_from_thread(p * DECODE_SHARE),
        )
        engine = create_engine(whisper_model_path=settings.worker.whisper_model_path)
        return engine.transcribe(
            pcm,
            language=job.language,
            checkpoint=lambda p: monitor.checkpoint_from_thread(
                DECODE_SHARE + p * (1 - DECODE_SHARE)
            ),
        )

    try:
        # abandon_on_cancel: a stopping worker does not wait for the engine; the monitor
        # is told to stop, so the thread ends at its next checkpoint.
        transcript = await anyio.to_thread.run_sync(transcribe, abandon_on_cancel=True)
    except FileNotFoundError:
        raise JobError("The uploaded audio for this job is missing.") from None
    except (AudioError, UnsupportedLanguageError) as exc:
        # Both messages are written for API clients (no paths, no internals).
        raise JobError(_sentence(str(exc))) from None
    return orjson.dumps(to_json_dict(transcript)).decode()


def discard_upload(settings: Settings, job: ClaimedJob) -> None:
    with suppress(JobError, FileNotFoundError):
        upload_path(settings, job).unlink()


def _sentence(message: str) -> str:
    message = message.strip() or "The audio could not be transcribed"
    message = message[0].upper() + message[1:]
    return message if message.endswith(".") else message + "."


HANDLER = JobHandler(run=run_transcription, cleanup=discard_upload)
