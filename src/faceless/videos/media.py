"""A video's rendered media and thumbnail: files under ``var/``, described by its row.

``PUT /videos/{id}/media`` and ``/thumbnail`` arrive here after the authentication
layer has settled the role and the ownership (``videos.endpoints``' upload gate), so
only an owner's (or an admin's) body is ever read. Each is streamed to a private file
beside its final place, counted against its limit, checked by content with the real
decoder (``media.probe``, ``media.images``), and only then swapped in at
``<var>/media/<video_id>`` or ``<var>/thumbnails/<video_id>`` (no extension: the
stored content type is in the row). The swap happens under the video's row lock and
is tied to the request's transaction: on rollback the previous file is put back (or
the new one removed), on commit the previous one is dropped. A refused body leaves
nothing behind. Deleting the video removes both files once the deletion commits.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, Mapping
from functools import partial
from pathlib import Path

from anyio.to_thread import run_sync
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.auth.principal import Principal
from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.db.session import after_commit, on_rollback
from faceless.errors import ProblemError, not_found, unprocessable
from faceless.media import files
from faceless.media.images import IMAGE_CONTENT_TYPES, ImageError, check_image
from faceless.media.probe import VIDEO_CONTENT_TYPES, MediaError, probe_video
from faceless.models import Video
from faceless.security.body_rules import MAX_THUMBNAIL_BYTES
from faceless.settings import PathSettings, Settings
from faceless.videos.schemas import MediaOut, ThumbnailOut
from faceless.videos.service import find_visible_video


def _media_type(header: str | None, accepted: Mapping[str, str]) -> str:
    media_type = (header or "").split(";", 1)[0].strip().lower()
    if media_type not in accepted:
        raise ProblemError(415, "The request body must be " + " or ".join(sorted(accepted)) + ".")
    return media_type


async def _receive(body: AsyncIterable[bytes], directory: Path, max_bytes: int) -> files.Received:
    try:
        received = await files.receive(body, directory, max_bytes=max_bytes)
    except files.BodyTooLargeError as exc:
        raise ProblemError(413, f"The request body exceeds {exc.limit} bytes.") from None
    if received.size == 0:
        received.path.unlink(missing_ok=True)
        raise unprocessable("The request body is empty.")
    return received


async def _swap_in(session: AsyncSession, received: Path, final: Path) -> None:
    """Put ``received`` at ``final``, bound to the outcome of the session's transaction."""
    placement = await run_sync(files.place, received, final)
    on_rollback(session, placement.rollback)

    async def drop_previous() -> None:
        await run_sync(placement.commit)

    after_commit(session, drop_previous)


async def store_media(
    session: AsyncSession,
    *,
    settings: Settings,
    video_id: uuid.UUID,
    actor: Principal,
    content_type: str | None,
    body: AsyncIterable[bytes],
    ctx: RequestContext,
) -> MediaOut:
    media_type = _media_type(content_type, VIDEO_CONTENT_TYPES)
    received = await _receive(body, settings.paths.media, settings.http.max_media_bytes)
    try:
        try:
            info = await run_sync(partial(probe_video, received.path, media_type))
        except MediaError as exc:
            raise unprocessable(f"The video was refused: {exc}.") from None
        # Locked: concurrent uploads to one video swap their files in commit order.
        video = await find_visible_video(session, video_id, actor, for_update=True)
        await _swap_in(session, received.path, settings.paths.media_file(video.id))
    finally:
        received.path.unlink(missing_ok=True)  # gone already once swapped in
    video.media_content_type = media_type
    video.media_size = received.size
    video.media_sha256 = received.sha256
    video.media_duration_seconds = info.duration_seconds
    await session.flush()
    await record(
        session, action="video.media_upload", actor_id=actor.id, target=f"video:{video.id}", ctx=ctx
    )
    return MediaOut(
        size=received.size,
        content_type=media_type,
        sha256=received.sha256,
        duration_seconds=info.duration_seconds,
    )


async def store_thumbnail(
    session: AsyncSession,
    *,
    settings: Settings,
    video_id: uuid.UUID,
    actor: Principal,
    content_type: str | None,
    body: AsyncIterable[bytes],
    ctx: RequestContext,
) -> ThumbnailOut:
    media_type = _media_type(content_type, IMAGE_CONTENT_TYPES)
    received = await _receive(body, settings.paths.thumbnails, MAX_THUMBNAIL_BYTES)
    try:
        data = await run_sync(received.path.read_bytes)  # at most 2 MiB
        try:
            info = await run_sync(partial(check_image, data, media_type))
        except ImageError as exc:
            raise unprocessable(f"The thumbnail was refused: {exc}.") from None
        video = await find_visible_video(session, video_id, actor, for_update=True)
        await _swap_in(session, received.path, settings.paths.thumbnail_file(video.id))
    finally:
        received.path.unlink(missing_ok=True)
    video.thumbnail_content_type = media_type
    video.thumbnail_size = received.size
    video.thumbnail_width = info.width
    video.thumbnail_height = info.height
    await session.flush()
    await record(
        session,
        action="video.thumbnail_upload",
        actor_id=actor.id,
        target=f"video:{video.id}",
        ctx=ctx,
    )
    return ThumbnailOut(
        size=received.size, content_type=media_type, width=info.width, height=info.height
    )


def stored_media(paths: PathSettings, video: Video) -> tuple[Path, str]:
    """The video's media file and content type; a 404 when it has none."""
    path = paths.media_file(video.id)
    if video.media_content_type is None or not path.is_file():
        raise not_found("media")
    return path, video.media_content_type
