from __future__ import annotations

import uuid
from contextlib import suppress
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.audit.service import record
from faceless.auth.dependencies import Principal
from faceless.context import RequestContext
from faceless.errors import unprocessable
from faceless.jobs import repository as jobs_repository
from faceless.models import Job, JobKind, JobStatus
from faceless.settings import Settings
from faceless.videos.dependencies import find_visible_video

# faster-whisper's multilingual models; PocketSphinx ships only US English.
WHISPER_LANGUAGES = frozenset(
    [
        "af",
        "ar",
        "az",
        "be",
        "bg",
        "bn",
        "bs",
        "ca",
        "cs",
        "cy",
        "da",
        "de",
        "el",
        "en",
        "es",
        "et",
        "fa",
        "fi",
        "fr",
        "gl",
        "he",
        "hi",
        "hr",
        "hu",
        "hy",
        "id",
        "is",
        "it",
        "ja",
        "kk",
        "kn",
        "ko",
        "lt",
        "lv",
        "mk",
        "mr",
        "ms",
        "ne",
        "nl",
        "no",
        "pl",
        "pt",
        "ro",
        "ru",
        "sk",
        "sl",
        "sr",
        "sv",
        "sw",
        "ta",
        "th",
        "tl",
        "tr",
        "uk",
        "ur",
        "vi",
        "zh",
    ]
)


def supported_languages(settings: Settings) -> frozenset[str]:
    return WHISPER_LANGUAGES if settings.worker.whisper_model_path else frozenset({"en"})


def check_language(settings: Settings, language: str) -> str:
    language = language.lower()
    if language not in supported_languages(settings):
        raise unprocessable(
            f"Language {language!r} is not available with the configured speech engine.",
            loc=("body", "language"),
        )
    return language


async def create_transcription_job(
    session: AsyncSession,
    *,
    owner: Principal,
    video_id: uuid.UUID | None,
    language: str,
    input_name: str,
    ctx: RequestContext,
) -> Job:
    if video_id is not None:
        await find_visible_video(session, video_id, owner)
    job = Job(
        id=uuid.uuid4(),
        owner_id=owner.id,
        kind=JobKind.TRANSCRIBE,
        status=JobStatus.QUEUED,
        progress=0.0,
        video_id=video_id,
        language=language,
        input_name=input_name,
    )
    await jobs_repository.add(session, job)
    await record(session, action="job.create", actor_id=owner.id, target=f"job:{job.id}", ctx=ctx)
    return job


def discard_upload(directory: Path, name: str) -> None:
    with suppress(FileNotFoundError):
        (directory / name).unlink()
