from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from faceless.api.auth import EDITOR_ROLES, EditorUser, require_role
from faceless.api.deps import AppRuntime, DbSession, RequestCtx, RuntimeDep
from faceless.api.scopes import require_scope
from faceless.auth.principal import Principal
from faceless.auth.scopes import TRANSCRIBE
from faceless.jobs.schemas import JobOut
from faceless.transcribe import service
from faceless.transcribe.uploads import store_upload

router = APIRouter(tags=["transcription"])


async def transcribe_gate(
    principal: Principal, _params: Mapping[str, str], runtime: AppRuntime
) -> None:
    """Decided before the upload is read (see api.authentication): role and job quota."""
    require_role(principal, EDITOR_ROLES)
    async with runtime.read_sessions() as session:
        await service.check_quota(session, settings=runtime.settings, owner_id=principal.id)


@router.post(
    "/transcribe",
    dependencies=[require_scope(TRANSCRIBE)],
    status_code=202,
    response_model=JobOut,
    description="Upload audio for transcription; poll the returned job for the result.",
)
async def transcribe(
    editor: EditorUser,
    runtime: RuntimeDep,
    session: DbSession,
    ctx: RequestCtx,
    response: Response,
    file: Annotated[UploadFile, File(description="WAV, MP3, FLAC, OGG or M4A audio")],
    video_id: Annotated[uuid.UUID | None, Form()] = None,
    language: Annotated[str, Form(min_length=2, max_length=16, pattern=r"^[A-Za-z-]+$")] = "en",
) -> JobOut:
    settings = runtime.settings
    language = service.check_language(settings, language)
    name = await store_upload(
        file, settings.paths.uploads, max_bytes=settings.http.max_upload_bytes
    )
    job = await service.start_transcription(
        session,
        settings=settings,
        queue=runtime.queue,
        owner=editor,
        video_id=video_id,
        language=language,
        input_name=name,
        ctx=ctx,
    )
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobOut.model_validate(job)
