from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.auth.principal import Principal
from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.errors import ProblemError, unprocessable
from faceless.models import Job, JobKind, JobStatus
from faceless.settings import Settings
from faceless.transcribe.uploads import check_duration
from faceless.users import repository as users_repository
from faceless.videos.service import find_visible_video
from faceless.worker import repository as jobs_repository
from faceless.worker.enqueue import discard_on_rollback, enqueue_after_commit
from faceless.worker.queue import JobQueue

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


QUOTA = "MAX_QUEUED_JOBS_PER_USER"
# Jobs take seconds to minutes; a client retrying sooner is only refused again.
QUOTA_RETRY_AFTER_SECONDS = 30


async def check_quota(session: AsyncSession, *, settings: Settings, owner_id: uuid.UUID) -> None:
    """429 when the owner already has the most queued or running jobs allowed.

    Exact only under ``users_repository.lock_user``; without it (before an upload is
    read) a cheap early refusal that the locked check at creation confirms.
    """
    limit = settings.worker.max_queued_jobs_per_user
    if await jobs_repository.count_active(session, owner_id) < limit:
        return
    raise ProblemError(
        429,
        f"You already have {limit} queued or running jobs, the most {QUOTA} allows; "
        "retry when one has finished.",
        headers={"Retry-After": str(QUOTA_RETRY_AFTER_SECONDS)},
        extra={"quota": QUOTA, "limit": limit},
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


async def start_transcription(
    session: AsyncSession,
    *,
    settings: Settings,
    queue: JobQueue,
    owner: Principal,
    video_id: uuid.UUID | None,
    language: str,
    input_name: str,
    ctx: RequestContext,
) -> Job:
    """Create the job for a stored upload; it is sent to a worker once the request commits.

    The upload is removed if the request does not commit (bad audio, an unknown video,
    any later failure), so a refused request leaves nothing behind.
    """
    upload = settings.paths.uploads / input_name
    discard_on_rollback(session, upload)
    await check_duration(upload, max_seconds=settings.worker.max_audio_seconds)
    job = await create_transcription_job(
        session,
        settings=settings,
        owner=owner,
        video_id=video_id,
        language=language,
        input_name=input_name,
        ctx=ctx,
    )
    enqueue_after_commit(session, queue, job.id)
    return job


async def create_transcription_job(
    session: AsyncSession,
    *,
    settings: Settings,
    owner: Principal,
    video_id: uuid.UUID | None,
    language: str,
    input_name: str,
    ctx: RequestContext,
) -> Job:
    # One job creation at a time per owner, so concurrent uploads cannot overshoot.
    await users_repository.lock_user(session, owner.id)
    await check_quota(session, settings=settings, owner_id=owner.id)
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
