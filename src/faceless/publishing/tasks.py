"""The publish job body: build the package for a claimed schedule and publish it.

The scheduler created this job when it claimed the schedule, so the schedule is
found by ``job_id``. The outcome lands on the schedule and the video in the same
transaction that records the job's outcome (see worker.handlers): a package that
went out and a schedule still ``pending`` cannot both be committed.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.db.encryption import open_column
from faceless.db.session import transaction
from faceless.models import (
    Job,
    JobKind,
    JobStatus,
    Schedule,
    ScheduleStatus,
    Video,
    VideoStatus,
)
from faceless.publishing.base import PublishError, PublishPackage
from faceless.publishing.credentials import get_credentials
from faceless.publishing.factory import select_publisher
from faceless.transcription import InvalidTranscriptError, from_json_dict, to_srt, to_vtt
from faceless.worker.cancellation import JobError, JobMonitor, JobStopped
from faceless.worker.handlers import JobHandler
from faceless.worker.repository import ClaimedJob

if TYPE_CHECKING:
    from faceless.services import Services

logger = logging.getLogger(__name__)


async def run_publish(services: Services, job: ClaimedJob, monitor: JobMonitor) -> str:
    async with transaction(services.sessions) as session:
        schedule = await _schedule_of(session, job.id)
        if schedule is None:
            raise JobError("The schedule for this job no longer exists.")
        if schedule.status == ScheduleStatus.CANCELLED:
            raise JobStopped("cancelled")
        if schedule.status != ScheduleStatus.PENDING:
            raise JobError(f"The schedule is already {schedule.status}.")
        video = await session.get(Video, schedule.video_id)
        if video is None:
            raise JobError("The video no longer exists.")
        package = await _package(session, schedule, video)
        # Credentials stored in the database win over the secret store's (or the outbox).
        youtube = await get_credentials(session, "youtube")
    publisher = select_publisher(services.publisher, services.settings, youtube)
    # Last look at the job before the step that cannot be undone.
    await monitor.beat(0.5)
    monitor.raise_if_stopped()
    try:
        receipt = await publisher.publish(package)
    except PublishError as exc:
        raise JobError(str(exc)) from exc
    logger.info(
        "schedule %s published by %s (already: %s)",
        schedule.id,
        receipt.publisher,
        receipt.already_published,
    )
    return orjson.dumps(receipt.as_dict()).decode()


async def _package(session: AsyncSession, schedule: Schedule, video: Video) -> PublishPackage:
    srt = vtt = language = None
    result = (
        await session.execute(
            select(Job.id, Job.result, Job.language)
            .where(
                Job.video_id == video.id,
                Job.kind == JobKind.TRANSCRIBE,
                Job.status == JobStatus.SUCCEEDED,
                Job.result.is_not(None),
            )
            .order_by(Job.finished_at.desc())
            .limit(1)
        )
    ).one_or_none()
    if result is not None and result.result is not None:
        try:
            # A DecryptionError (tampered row) propagates: the publish job fails loudly.
            plaintext = open_column(session, Job.result, result.id, result.result)
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
    )


async def _schedule_of(session: AsyncSession, job_id: uuid.UUID) -> Schedule | None:
    query = select(Schedule).where(Schedule.job_id == job_id)
    return (await session.scalars(query)).first()


async def _video_of(session: AsyncSession, schedule: Schedule) -> Video | None:
    return await session.get(Video, schedule.video_id, with_for_update=True)


async def on_succeeded(session: AsyncSession, job: ClaimedJob) -> None:
    schedule = await _schedule_of(session, job.id)
    if schedule is None:
        return
    schedule.status = ScheduleStatus.PUBLISHED
    video = await _video_of(session, schedule)
    if video is not None:
        video.status = VideoStatus.PUBLISHED
        if schedule.privacy is not None:
            video.privacy = schedule.privacy
    await session.flush()


async def on_failed(session: AsyncSession, job: ClaimedJob) -> None:
    schedule = await _schedule_of(session, job.id)
    if schedule is None or schedule.status != ScheduleStatus.PENDING:
        return
    schedule.status = ScheduleStatus.FAILED
    video = await _video_of(session, schedule)
    if video is not None:
        video.status = VideoStatus.FAILED
    await session.flush()


async def on_cancelled(session: AsyncSession, job: ClaimedJob) -> None:
    # The owner cancelled the publish job itself: nothing went out, the video is a draft.
    schedule = await _schedule_of(session, job.id)
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
    schedules = (
        await session.scalars(
            select(Schedule)
            .join(Job, Job.id == Schedule.job_id)
            .where(Schedule.status == ScheduleStatus.PENDING, Job.status == JobStatus.CANCELLED)
            .limit(limit)
            .with_for_update(of=Schedule, skip_locked=True)
        )
    ).all()
    for schedule in schedules:
        schedule.status = ScheduleStatus.CANCELLED
        video = await _video_of(session, schedule)
        if video is not None and video.status == VideoStatus.SCHEDULED:
            video.status = VideoStatus.DRAFT
    await session.flush()
    return len(schedules)


HANDLER = JobHandler(
    run=run_publish,
    on_succeeded=on_succeeded,
    on_failed=on_failed,
    on_cancelled=on_cancelled,
)
