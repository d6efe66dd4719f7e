from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from faceless.api.auth import EDITOR_ROLES, CurrentUser, EditorUser, require_role
from faceless.api.deps import AppRuntime, DbSession, RequestCtx, RuntimeDep
from faceless.api.json_body import json_response
from faceless.api.pagination import ListEnvelope, Page, documents_response
from faceless.api.scopes import require_scope
from faceless.auth.principal import Principal
from faceless.auth.scopes import VIDEOS_READ, VIDEOS_WRITE
from faceless.errors import not_found
from faceless.models import VideoStatus
from faceless.security.body_rules import IMAGE_TYPES, MAX_THUMBNAIL_BYTES, VIDEO_TYPES
from faceless.videos import media, service
from faceless.videos.dependencies import VisibleVideo
from faceless.videos.documents import video_document
from faceless.videos.schemas import MediaOut, ThumbnailOut, VideoCreate, VideoOut, VideoUpdate

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
    return documents_response([video_document(v) for v in videos], total, page)


@router.post(
    "", dependencies=[require_scope(VIDEOS_WRITE)], status_code=201, response_model=VideoOut
)
async def create_video(
    body: VideoCreate, editor: EditorUser, runtime: RuntimeDep, ctx: RequestCtx
) -> Response:
    video = await service.create_video(
        runtime.engine, runtime.data_protection, data=body, owner=editor, ctx=ctx
    )
    # Validated and serialised once (the route's response_model only documents it).
    created = VideoOut.model_validate(video)
    return Response(
        created.__pydantic_serializer__.to_json(created),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/api/v1/videos/{video['id']}"},
    )


@router.get("/{video_id}", dependencies=[require_scope(VIDEOS_READ)], response_model=VideoOut)
async def get_video(video_id: uuid.UUID, principal: CurrentUser, runtime: RuntimeDep) -> Response:
    video = await service.read_visible_video(
        runtime.fast_reader, runtime.data_protection, video_id, principal
    )
    return json_response(video_document(video))


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
    video: VisibleVideo,
    editor: EditorUser,
    session: DbSession,
    ctx: RequestCtx,
    runtime: RuntimeDep,
) -> Response:
    await service.delete_video(
        session, video=video, actor=editor, ctx=ctx, paths=runtime.settings.paths
    )
    return Response(status_code=204)


# -- media and thumbnail: raw bodies, read only after the upload gate ----------------


async def video_upload_gate(
    principal: Principal, params: Mapping[str, str], runtime: AppRuntime
) -> None:
    """Decided before the body is read (see api.authentication): role, then ownership."""
    require_role(principal, EDITOR_ROLES)
    try:
        video_id = uuid.UUID(params["video_id"])
    except ValueError:
        raise not_found("video") from None
    async with runtime.read_sessions() as session:
        await service.find_visible_video(session, video_id, principal)


def _raw_body(media_types: frozenset[str], max_bytes: str) -> dict[str, Any]:
    schema = {"type": "string", "format": "binary"}
    return {
        "requestBody": {
            "required": True,
            "description": f"The file itself as the body, at most {max_bytes}.",
            "content": {media_type: {"schema": schema} for media_type in sorted(media_types)},
        }
    }


@router.put(
    "/{video_id}/media",
    dependencies=[require_scope(VIDEOS_WRITE)],
    response_model=MediaOut,
    openapi_extra=_raw_body(VIDEO_TYPES, "MAX_MEDIA_BYTES (default 2 GiB)"),
    description="Upload the rendered video (MP4, WebM or QuickTime), replacing any earlier one.",
)
async def upload_media(
    video_id: uuid.UUID,
    request: Request,
    editor: EditorUser,
    runtime: RuntimeDep,
    session: DbSession,
    ctx: RequestCtx,
) -> MediaOut:
    return await media.store_media(
        session,
        settings=runtime.settings,
        video_id=video_id,
        actor=editor,
        content_type=request.headers.get("content-type"),
        body=request.stream(),
        ctx=ctx,
    )


@router.get(
    "/{video_id}/media",
    dependencies=[require_scope(VIDEOS_READ)],
    response_class=FileResponse,
    responses={200: {"content": {t: {} for t in sorted(VIDEO_TYPES)}}},
    description="The stored rendered video, with its content type; 404 when there is none.",
)
async def download_media(video: VisibleVideo, runtime: RuntimeDep) -> FileResponse:
    path, content_type = media.stored_media(runtime.settings.paths, video)
    return FileResponse(path, media_type=content_type)


@router.put(
    "/{video_id}/thumbnail",
    dependencies=[require_scope(VIDEOS_WRITE)],
    response_model=ThumbnailOut,
    openapi_extra=_raw_body(IMAGE_TYPES, f"{MAX_THUMBNAIL_BYTES // (1024 * 1024)} MiB"),
    description="Upload the thumbnail (JPEG or PNG), replacing any earlier one.",
)
async def upload_thumbnail(
    video_id: uuid.UUID,
    request: Request,
    editor: EditorUser,
    runtime: RuntimeDep,
    session: DbSession,
    ctx: RequestCtx,
) -> ThumbnailOut:
    return await media.store_thumbnail(
        session,
        settings=runtime.settings,
        video_id=video_id,
        actor=editor,
        content_type=request.headers.get("content-type"),
        body=request.stream(),
        ctx=ctx,
    )
