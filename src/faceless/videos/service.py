from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from faceless.auth.principal import Principal
from faceless.context import RequestContext
from faceless.db.audit.writer import event_values, record, write_with_event
from faceless.db.base import utcnow
from faceless.db.encryption import DataProtection
from faceless.db.fast_read import FastReader
from faceless.errors import not_found
from faceless.models import Video, VideoStatus
from faceless.schedule import repository as schedule_repository
from faceless.settings import PathSettings
from faceless.videos import repository
from faceless.videos.schemas import VideoCreate, VideoUpdate
from faceless.worker.enqueue import delete_after_commit


async def find_visible_video(
    session: AsyncSession, video_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> Video:
    """The video if ``principal`` may see it; another user's video is a 404."""
    video = await repository.get_visible(
        session, video_id, owner_id=principal.owner_scope, for_update=for_update
    )
    if video is None:
        raise not_found("video")
    return video


async def read_visible_video(
    reader: FastReader, protection: DataProtection, video_id: uuid.UUID, principal: Principal
) -> dict[str, Any]:
    """``find_visible_video`` for a plain read: the hot path, no session, no entity."""
    video = await repository.read_visible(
        reader, protection, video_id, owner_id=principal.owner_scope
    )
    if video is None:
        raise not_found("video")
    return video


async def create_video(
    engine: AsyncEngine,
    protection: DataProtection,
    *,
    data: VideoCreate,
    owner: Principal,
    ctx: RequestContext,
) -> dict[str, Any]:
    """The new video as a plain mapping of its columns (``script`` in plaintext).

    The hot write path (``db.fast_write``): the video and its audit event commit in one
    transaction, and the event is chained before this returns.
    """
    now = utcnow()
    video: dict[str, Any] = {
        "id": uuid.uuid4(),
        "owner_id": owner.id,
        "title": data.title,
        "description": data.description,
        "script": data.script,
        "tags": list(data.tags),
        "privacy": data.privacy,
        "status": VideoStatus.DRAFT,
        "made_for_kids": data.made_for_kids,
        "contains_synthetic_media": data.contains_synthetic_media,
        "category_id": data.category_id,
        "default_language": data.default_language or None,
        "created_at": now,
        "updated_at": now,
    }
    event = event_values(
        action="video.create",
        outcome="success",
        actor_id=owner.id,
        target=f"video:{video['id']}",
        ctx=ctx,
    )
    await write_with_event(engine, [repository.insert_new(protection, video)], event)
    return video


async def list_videos(
    reader: FastReader,
    protection: DataProtection,
    *,
    principal: Principal,
    status: VideoStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    return await repository.list_visible(
        reader,
        protection,
        owner_id=principal.owner_scope,
        status=status,
        limit=limit,
        offset=offset,
    )


async def update_video(
    session: AsyncSession, *, video: Video, data: VideoUpdate, actor: Principal, ctx: RequestContext
) -> Video:
    changes = data.model_dump(exclude_unset=True)
    if changes.get("default_language") == "":
        changes["default_language"] = None  # "" clears it
    for field, value in changes.items():
        setattr(video, field, list(value) if field == "tags" else value)
    await session.flush()
    await record(
        session, action="video.update", actor_id=actor.id, target=f"video:{video.id}", ctx=ctx
    )
    return video


async def delete_video(
    session: AsyncSession,
    *,
    video: Video,
    actor: Principal,
    ctx: RequestContext,
    paths: PathSettings,
) -> None:
    # Jobs stay (they have no foreign key to the video); a pending schedule is cancelled.
    await schedule_repository.cancel_pending_for_video(session, video.id)
    await repository.delete(session, video)
    # Its media and thumbnail go once the deletion has committed.
    delete_after_commit(session, paths.media_file(video.id))
    delete_after_commit(session, paths.thumbnail_file(video.id))
    await record(
        session, action="video.delete", actor_id=actor.id, target=f"video:{video.id}", ctx=ctx
    )
