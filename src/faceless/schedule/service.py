"""Creating and cancelling schedules; publishing itself lives in worker.scheduler."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.auth.principal import Principal
from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.db.base import utcnow
from faceless.errors import ProblemError, conflict, not_found, unprocessable
from faceless.models import Schedule, ScheduleStatus, Video, VideoStatus
from faceless.publishing.base import Publisher
from faceless.publishing.factory import NEEDS_MEDIA, publisher_name
from faceless.schedule import repository
from faceless.schedule.schemas import ScheduleCreate
from faceless.videos import repository as videos_repository
from faceless.videos.service import find_visible_video

MAX_AHEAD = timedelta(days=365)


async def create_schedule(
    session: AsyncSession,
    *,
    data: ScheduleCreate,
    actor: Principal,
    ctx: RequestContext,
    publisher: Publisher,
) -> Schedule:
    now = utcnow()
    if data.publish_at <= now:
        raise unprocessable("publish_at must be in the future.", loc=("body", "publish_at"))
    if data.publish_at > now + MAX_AHEAD:
        raise unprocessable("publish_at must be within one year.", loc=("body", "publish_at"))
    video = await find_visible_video(session, data.video_id, actor, for_update=True)
    if await repository.has_pending(session, video.id):
        raise conflict("This video already has a pending schedule.")
    await _check_publishable(session, video, publisher)
    schedule = Schedule(
        id=uuid.uuid4(),
        owner_id=video.owner_id,
        video_id=video.id,
        publish_at=data.publish_at,
        privacy=data.privacy,
        status=ScheduleStatus.PENDING,
    )
    try:
        async with session.begin_nested():
            await repository.add(session, schedule)
    except IntegrityError:
        # Lost a race with a concurrent request; the partial unique index decided.
        raise conflict("This video already has a pending schedule.") from None
    video.status = VideoStatus.SCHEDULED
    await session.flush()
    await record(
        session,
        action="schedule.create",
        actor_id=actor.id,
        target=f"schedule:{schedule.id}",
        ctx=ctx,
    )
    return schedule


async def _check_publishable(session: AsyncSession, video: Video, publisher: Publisher) -> None:
    """409 when the publisher a publish job would use needs media this video lacks."""
    name = await publisher_name(session, publisher)
    if name in NEEDS_MEDIA and video.media_content_type is None:
        raise ProblemError(
            409,
            f"The {name} publisher needs the video's media and this video has none; "
            f"upload it first (PUT /api/v1/videos/{video.id}/media).",
            extra={"missing": ["media"]},
        )


async def list_schedules(
    session: AsyncSession, *, principal: Principal, limit: int, offset: int
) -> tuple[Sequence[Schedule], int]:
    return await repository.list_visible(
        session, owner_id=principal.owner_scope, limit=limit, offset=offset
    )


async def cancel_schedule(
    session: AsyncSession, *, schedule_id: uuid.UUID, actor: Principal, ctx: RequestContext
) -> None:
    schedule = await repository.get_visible(session, schedule_id, owner_id=actor.owner_scope)
    if schedule is None:
        raise not_found("schedule")
    # Conditional, not read-then-write: a scheduler may claim it at this very moment.
    if not await repository.cancel_if_pending(session, schedule.id):
        raise conflict(f"Only a pending schedule can be cancelled; this one is {schedule.status}.")
    video = await find_visible_video(session, schedule.video_id, actor, for_update=True)
    if video.status == VideoStatus.SCHEDULED:
        video.status = VideoStatus.DRAFT
    await session.flush()
    await record(
        session,
        action="schedule.cancel",
        actor_id=actor.id,
        target=f"schedule:{schedule.id}",
        ctx=ctx,
    )


async def cancel_schedules_of(
    session: AsyncSession, *, owner_id: uuid.UUID, actor: Principal, ctx: RequestContext
) -> int:
    """Cancel every pending schedule of ``owner_id`` (its owner is being disabled).

    Claimed ones too: their publish job is cancelled with the owner's other jobs, and
    one that already went out still records itself as published.
    """
    schedules = await repository.pending_of_owner(session, owner_id)
    for schedule in schedules:
        schedule.status = ScheduleStatus.CANCELLED
        video = await videos_repository.get_by_id(session, schedule.video_id, for_update=True)
        if video is not None and video.status == VideoStatus.SCHEDULED:
            video.status = VideoStatus.DRAFT
        await record(
            session,
            action="schedule.cancel",
            actor_id=actor.id,
            target=f"schedule:{schedule.id}",
            ctx=ctx,
        )
    await session.flush()
    return len(schedules)
