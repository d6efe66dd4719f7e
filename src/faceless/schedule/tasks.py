"""The publish job and the scheduler round that creates it.

``publish_due`` claims each due schedule exactly once, however many schedulers run:
the claim is a conditional UPDATE (``claimed_at`` from NULL to now, still ``pending``,
still due), so the database lets exactly one scheduler see a row count of 1. The
winner creates the publish job and links it in the same transaction; the job is sent
only after that commit. If sending fails the job is still ``queued`` in the database
and the sweep re-sends it.

The publish job body builds the package for its claimed schedule (found by
``job_id``) and publishes it, unless its owner was disabled meanwhile (a disabled
owner's schedules are never claimed either). The outcome lands on the schedule and
the video in the same transaction that records the job's outcome (see
worker.handlers): a package that went out and a schedule still ``pending`` cannot
both be committed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.base import utcnow
from faceless.db.encryption import open_column
from faceless.db.session import after_commit, transaction
from faceless.metrics.instruments import SCHEDULE_PUBLISH_DELAY
from faceless.models import Job, JobKind, JobStatus, Schedule, ScheduleStatus, Video, VideoStatus
from faceless.publishing.base import PublishPackage
from faceless.publishing.credentials import get_account
from faceless.publishing.factory import select_publisher
from faceless.schedule import repository
from faceless.schedule.publishing import publish_package
from faceless.settings import PathSettings
from faceless.speech import InvalidTranscriptError, from_json_dict, to_srt, to_vtt
from faceless.users import repository as users_repository
from faceless.videos import repository as videos_repository
from faceless.worker import repository as jobs_repository
from faceless.worker.cancellation import JobError, JobMonitor, JobStopped
from faceless.worker.enqueue import enqueue_after_commit
from faceless.worker.handlers import JobContext, JobHandler
from faceless.worker.repository import ClaimedJob

BATCH = 50

logger = logging.getLogger(__name__)


async def run_publish(ctx: JobContext, job: ClaimedJob, monitor: JobMonitor) -> str:
    async with transaction(ctx.sessions) as session:
        schedule = await repository.get_by_job(session, job.id)
        if schedule is None:
            raise JobError("The schedule for this job no longer exists.")
        if schedule.status == ScheduleStatus.CANCELLED:
            raise JobStopped("cancelled")
        if schedule.status != ScheduleStatus.PENDING:
            raise JobError(f"The schedule is already {schedule.status}.")
        owner = await users_repository.get_by_id(session, schedule.owner_id)
        if owner is None or owner.disabled:
            raise JobStopped("cancelled")  # a disabled owner's schedule never publishes
        video = await videos_repository.get_by_id(session, schedule.video_id)
        if video is None:
            raise JobError("The video no longer exists.")
        package = await _package(session, schedule, video, ctx.settings.paths)
        # Credentials stored in the database win over the secret store's (or the outbox).
        stored = await get_account(session, "youtube")
    if stored is None:
        publisher = select_publisher(ctx.publisher, ctx.settings, None)
    else:
        publisher = select_publisher(ctx.publisher, ctx.settings, stored[1], stored[0])
    # Last look at the job before the step that cannot be undone.
    await monitor.beat(0.5)
    monitor.raise_if_stopped()
    receipt = await publish_package(ctx, job.id, publisher, package)
    logger.info(
        "schedule %s published by %s (already: %s)",
        schedule.id,
        receipt.publisher,
        receipt.already_published,
    )
    return orjson.dumps(receipt.as_dict()).decode()


async def _package(
    session: AsyncSession, schedule: Schedule, video: Video, paths: PathSettings
) -> PublishPackage:
    srt = vtt = language = None
    result = await jobs_repository.latest_transcript(session, video.id)
    if result is not None:
        job_id, sealed = result
        try:
            # A DecryptionError (tampered row) propagates: the publish job fails loudly.
            plaintext = open_column(session, Job.result, job_id, sealed)
            transcript = from_json_dict(orjson.loads(plaintext or ""))
        except (InvalidTranscriptError, orjson.JSONDecodeError):
            logger.warning("transcript for video %s is unreadable; no captions", video.id)
        else:
            srt, vtt, language = to_srt(transcript), to_vtt(transcript), transcript.language
    return PublishPackage(
        video_id=video.id,
        schedule_id=schedule.id,
        title=video.title,
        description=video.description,
        tags=tuple(video.tags),
        privacy=str(schedule.privacy or video.privacy),
        publish_at=schedule.publish_at,
        captions_srt=srt,
        captions_vtt=vtt,
        captions_language=language,
        made_for_kids=video.made_for_kids,
        contains_synthetic_media=video.contains_synthetic_media,
        category_id=video.category_id,
        default_language=video.default_language,
        media_path=paths.media_file(video.id) if video.media_content_type else None,
        media_content_type=video.media_content_type,
        thumbnail_path=paths.thumbnail_file(video.id) if video.thumbnail_content_type else None,
        thumbnail_content_type=video.thumbnail_content_type,
    )


async def _video_of(session: AsyncSession, schedule: Schedule) -> Video | None:
    return await videos_repository.get_by_id(session, schedule.video_id, for_update=True)


async def on_succeeded(session: AsyncSession, job: ClaimedJob) -> None:
    schedule = await repository.get_by_job(session, job.id)
    if schedule is None:
        return
    schedule.status = ScheduleStatus.PUBLISHED
    schedule.detail = None
    # A deferred schedule's delay counts from when it was allowed to go out.
    due = max(schedule.publish_at, schedule.not_before or schedule.publish_at)
    delay = max(0.0, (utcnow() - due).total_seconds())

    async def observe_delay() -> None:
        SCHEDULE_PUBLISH_DELAY.observe(delay)

    after_commit(session, observe_delay)  # counted once the publication is recorded
    video = await _video_of(session, schedule)
    if video is not None:
        video.status = VideoStatus.PUBLISHED
        youtube_id = _youtube_id(await repository.job_result(session, job.id))
        if youtube_id is not None:
            video.youtube_id = youtube_id
        if schedule.privacy is not None:
            video.privacy = schedule.privacy
    await session.flush()


def _youtube_id(result: str | None) -> str | None:
    """The video id in a YouTube receipt (``"reference": "youtube:<id>"``), else None."""
    try:
        reference = orjson.loads(result or "null")
    except orjson.JSONDecodeError:
        return None
    value = reference.get("reference") if isinstance(reference, dict) else None
    if isinstance(value, str) and value.startswith("youtube:"):
        return value.removeprefix("youtube:")[:32]
    return None


async def on_failed(session: AsyncSession, job: ClaimedJob) -> None:
    schedule = await repository.get_by_job(session, job.id)
    if schedule is None or schedule.status != ScheduleStatus.PENDING:
        return
    schedule.status = ScheduleStatus.FAILED
    schedule.detail = await repository.job_error(session, job.id)
    video = await _video_of(session, schedule)
    if video is not None:
        video.status = VideoStatus.FAILED
    await session.flush()


async def on_cancelled(session: AsyncSession, job: ClaimedJob) -> None:
    # The owner cancelled the publish job itself: nothing went out, the video is a draft.
    schedule = await repository.get_by_job(session, job.id)
    if schedule is None or schedule.status != ScheduleStatus.PENDING:
        return
    schedule.status = ScheduleStatus.CANCELLED
    video = await _video_of(session, schedule)
    if video is not None and video.status == VideoStatus.SCHEDULED:
        video.status = VideoStatus.DRAFT
    await session.flush()


async def settle_cancelled_jobs(session: AsyncSession, *, limit: int = 100) -> int:
    """Cancel the schedules of publish jobs cancelled before they ran.

    Cancelling a queued job revokes its message, so no worker may ever see it; the
    sweep calls this so that its schedule does not stay claimed-but-pending (which
    the API cannot cancel) and the video returns to draft.
    """
    schedules = await repository.pending_with_cancelled_job(session, limit=limit)
    for schedule in schedules:
        schedule.status = ScheduleStatus.CANCELLED
        video = await _video_of(session, schedule)
        if video is not None and video.status == VideoStatus.SCHEDULED:
            video.status = VideoStatus.DRAFT
    await session.flush()
    return len(schedules)


async def publish_due(ctx: JobContext, *, now: datetime | None = None) -> int:
    """Claim every due pending schedule we can, create and send its job; returns how many."""
    now = now or utcnow()
    async with transaction(ctx.sessions) as session:
        candidates = await repository.due_ids(session, now=now, limit=BATCH)
    claimed = 0
    for schedule_id in candidates:
        # One transaction per claim, and the job sent right after its own commit, so a
        # later failure cannot strand it unsent.
        async with transaction(ctx.sessions) as session:
            job_id = await _claim(session, ctx, schedule_id, now=now)
        claimed += job_id is not None
    return claimed


async def _claim(
    session: AsyncSession, ctx: JobContext, schedule_id: uuid.UUID, *, now: datetime
) -> uuid.UUID | None:
    schedule = await repository.claim_due(session, schedule_id, now=now)
    if schedule is None:
        return None  # another scheduler won, or it was cancelled meanwhile
    job = Job(
        id=uuid.uuid4(),
        owner_id=schedule.owner_id,
        kind=JobKind.PUBLISH,
        status=JobStatus.QUEUED,
        progress=0.0,
        video_id=schedule.video_id,
        created_at=now,
        attempts=0,
    )
    await jobs_repository.add(session, job)
    schedule.job_id = job.id
    await session.flush()
    enqueue_after_commit(session, ctx.queue, job.id)
    logger.info("schedule %s claimed; publish job %s", schedule_id, job.id)
    return job.id


HANDLER = JobHandler(
    run=run_publish,
    on_succeeded=on_succeeded,
    on_failed=on_failed,
    on_cancelled=on_cancelled,
    settle=settle_cancelled_jobs,
)
