from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile

from faceless.api.deps import RequestCtx, ServicesDep
from faceless.auth.dependencies import EditorUser
from faceless.db.session import transaction
from faceless.jobs.schemas import JobOut
from faceless.transcribe import service
from faceless.transcribe.uploads import check_duration, store_upload

router = APIRouter(tags=["transcription"])


@router.post("/transcribe", status_code=202, response_model=JobOut)
async def transcribe(
    editor: EditorUser,
    services: ServicesDep,
    ctx: RequestCtx,
    response: Response,
    file: Annotated[UploadFile, File(description="WAV, MP3, FLAC, OGG or M4A audio")],
    video_id: Annotated[uuid.UUID | None, Form()] = None,
    language: Annotated[str, Form(min_length=2, max_length=16, pattern=r"^[A-Za-z-]+$")] = "en",
) -> JobOut:
    """Upload audio for transcription; poll the returned job for the result."""
    settings = services.settings
    language = service.check_language(settings, language)
    uploads = settings.paths.uploads
    name = await store_upload(file, uploads, max_bytes=settings.http.max_upload_bytes)
    try:
        await check_duration(uploads / name, max_seconds=settings.worker.max_audio_seconds)
        async with transaction(services.sessions) as session:
            job = await service.create_transcription_job(
                session,
                owner=editor,
                video_id=video_id,
                language=language,
                input_name=name,
                ctx=ctx,
            )
    except BaseException:
        service.discard_upload(uploads, name)
        raise
    # Sent only after the commit, so the worker always finds the row.
    await services.queue.enqueue(job.id)
    response.headers["Location"] = f"/api/v1/jobs/{job.id}"
    return JobOut.model_validate(job)
