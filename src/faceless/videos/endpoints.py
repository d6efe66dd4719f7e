from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from faceless.api.auth import CurrentUser, EditorUser
from faceless.api.deps import DbSession, RequestCtx, RuntimeDep
from faceless.api.pagination import ListEnvelope, Page, envelope_response
from faceless.api.scopes import require_scope
from faceless.auth.scopes import VIDEOS_READ, VIDEOS_WRITE
from faceless.models import VideoStatus
from faceless.videos import service
from faceless.videos.dependencies import VisibleVideo
from faceless.videos.schemas import VideoCreate, VideoOut, VideoUpdate

router = APIRouter(prefix="/videos", tags=["videos"])


@router.get("", dependencies=[require_scope(VIDEOS_READ)], response_model=ListEnvelope[VideoOut])
async def list_videos(
    principal: CurrentUser,
    runtime: RuntimeDep,
    page: Page,
    status: Annotated[VideoStatus | None, Query()] = None,
) -> Response:
    videos, total = await service.list_videos(
        runtime.fast_reader,
        runtime.data_protection,
        principal=principal,
        status=status,
        limit=page.limit,
        offset=page.offset,
    )
    return envelope_response(VideoOut, videos, total, page)


@router.post(
    "", dependencies=[require_scope(VIDEOS_WRITE)], status_code=201, response_model=VideoOut
)
async def create_video(
    body: VideoCreate, editor: EditorUser, session: DbSession, ctx: RequestCtx, response: Response
) -> VideoOut:
    video = await service.create_video(session, data=body, owner=editor, ctx=ctx)
    response.headers["Location"] = f"/api/v1/videos/{video.id}"
    return VideoOut.model_validate(video)


@router.get("/{video_id}", dependencies=[require_scope(VIDEOS_READ)], response_model=VideoOut)
async def get_video(video: VisibleVideo) -> VideoOut:
    return VideoOut.model_validate(video)


@router.patch("/{video_id}", dependencies=[require_scope(VIDEOS_WRITE)], response_model=VideoOut)
async def update_video(
    body: VideoUpdate, video: VisibleVideo, editor: EditorUser, session: DbSession, ctx: RequestCtx
) -> VideoOut:
    video = await service.update_video(session, video=video, data=body, actor=editor, ctx=ctx)
    return VideoOut.model_validate(video)


@router.delete(
    "/{video_id}",
    dependencies=[require_scope(VIDEOS_WRITE)],
    status_code=204,
    response_class=Response,
)
async def delete_video(
    video: VisibleVideo, editor: EditorUser, session: DbSession, ctx: RequestCtx
) -> Response:
    await service.delete_video(session, video=video, actor=editor, ctx=ctx)
    return Response(status_code=204)
