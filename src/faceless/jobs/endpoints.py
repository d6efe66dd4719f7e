from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response

from faceless.api.auth import CurrentUser, EditorUser
from faceless.api.deps import DbSession, ReadSession, RequestCtx, RuntimeDep
from faceless.api.pagination import ListEnvelope, Page, envelope
from faceless.api.scopes import require_scope
from faceless.auth.scopes import JOBS_READ, JOBS_WRITE
from faceless.jobs import service
from faceless.jobs.schemas import JobOut, ResultFormat
from faceless.models import JobKind, JobStatus

router = APIRouter(prefix="/jobs", tags=["jobs"])


@router.get("", dependencies=[require_scope(JOBS_READ)], response_model=ListEnvelope[JobOut])
async def list_jobs(
    principal: CurrentUser,
    session: ReadSession,
    page: Page,
    status: Annotated[JobStatus | None, Query()] = None,
    kind: Annotated[JobKind | None, Query()] = None,
) -> ListEnvelope[JobOut]:
    jobs, total = await service.list_jobs(
        session,
        principal=principal,
        status=status,
        kind=kind,
        limit=page.limit,
        offset=page.offset,
    )
    return envelope(JobOut, jobs, total, page)


@router.get("/{job_id}", dependencies=[require_scope(JOBS_READ)], response_model=JobOut)
async def get_job(job_id: uuid.UUID, principal: CurrentUser, session: ReadSession) -> JobOut:
    return JobOut.model_validate(await service.find_visible_job(session, job_id, principal))


@router.get(
    "/{job_id}/result",
    dependencies=[require_scope(JOBS_READ)],
    response_class=Response,
    responses={
        200: {
            "description": "The transcription in the requested format.",
            "content": {media: {} for media in service.MEDIA_TYPES.values()},
        }
    },
)
async def get_result(
    job_id: uuid.UUID,
    principal: CurrentUser,
    session: ReadSession,
    format: Annotated[ResultFormat, Query()] = ResultFormat.JSON,  # noqa: A002
) -> Response:
    job = await service.find_visible_job(session, job_id, principal)
    rendered = service.render_result(job, format)
    # Set the header directly: Starlette would append a charset to text/vtt.
    return Response(rendered.body, headers={"content-type": rendered.media_type})


@router.delete(
    "/{job_id}",
    dependencies=[require_scope(JOBS_WRITE)],
    response_model=JobOut,
    responses={204: {"description": "Deleted."}},
)
async def cancel_or_delete_job(
    job_id: uuid.UUID,
    editor: EditorUser,
    runtime: RuntimeDep,
    session: DbSession,
    ctx: RequestCtx,
) -> Response | JobOut:
    job = await service.find_visible_job(session, job_id, editor, for_update=True)
    outcome = await service.cancel_or_delete(
        session, job=job, actor=editor, settings=runtime.settings, queue=runtime.queue, ctx=ctx
    )
    if outcome.cancelled is None:
        return Response(status_code=204)
    return JobOut.model_validate(outcome.cancelled)
