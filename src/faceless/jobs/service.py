"""Polling, cancelling and deleting jobs; rendering transcription results."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.auth.principal import Principal
from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.db.base import utcnow
from faceless.errors import ProblemError, conflict, not_found
from faceless.jobs.schemas import ResultFormat
from faceless.models import Job, JobKind, JobStatus
from faceless.settings import Settings
from faceless.speech.formats import from_json_dict, to_srt, to_text, to_vtt
from faceless.worker import repository
from faceless.worker.enqueue import delete_after_commit, revoke_after_commit
from faceless.worker.queue import JobQueue

MEDIA_TYPES = {
    ResultFormat.JSON: "application/json",
    ResultFormat.SRT: "application/x-subrip",
    # WebVTT is UTF-8 by definition; API.md fixes the bare media type.
    ResultFormat.VTT: "text/vtt",
    ResultFormat.TXT: "text/plain; charset=utf-8",
}


async def find_visible_job(
    session: AsyncSession, job_id: uuid.UUID, principal: Principal, *, for_update: bool = False
) -> Job:
    job = await repository.get_visible(
        session, job_id, owner_id=principal.owner_scope, for_update=for_update
    )
    if job is None:
        raise not_found("job")
    return job


async def list_jobs(
    session: AsyncSession,
    *,
    principal: Principal,
    status: JobStatus | None,
    kind: JobKind | None,
    limit: int,
    offset: int,
) -> tuple[Sequence[Job], int]:
    return await repository.list_visible(
        session,
        owner_id=principal.owner_scope,
        status=status,
        kind=kind,
        limit=limit,
        offset=offset,
    )


@dataclass(frozen=True, slots=True)
class RenderedResult:
    body: bytes
    media_type: str


def render_result(job: Job, fmt: ResultFormat) -> RenderedResult:
    if job.status != JobStatus.SUCCEEDED:
        raise conflict(f"The job has no result: its status is {job.status}.")
    if job.kind != JobKind.TRANSCRIBE or job.result is None:
        raise ProblemError(404, "This job produces no downloadable result.")
    if fmt is ResultFormat.JSON:
        return RenderedResult(job.result.encode(), MEDIA_TYPES[fmt])
    transcript = from_json_dict(orjson.loads(job.result))
    render = {ResultFormat.SRT: to_srt, ResultFormat.VTT: to_vtt, ResultFormat.TXT: to_text}[fmt]
    return RenderedResult(render(transcript).encode(), MEDIA_TYPES[fmt])


@dataclass(frozen=True, slots=True)
class DeleteOutcome:
    cancelled: Job | None


async def cancel_or_delete(
    session: AsyncSession,
    *,
    job: Job,
    actor: Principal,
    settings: Settings,
    queue: JobQueue,
    ctx: RequestContext,
) -> DeleteOutcome:
    """Queued or running: cancel (the worker stops at its next checkpoint). Finished: delete."""
    if not job.status.finished:
        job.status = JobStatus.CANCELLED
        job.finished_at = utcnow()
        await session.flush()
        await record(
            session, action="job.cancel", actor_id=actor.id, target=f"job:{job.id}", ctx=ctx
        )
        revoke_after_commit(session, queue, job.id)
        return DeleteOutcome(cancelled=job)
    if job.input_name:
        delete_after_commit(session, settings.paths.uploads / job.input_name)
    await repository.delete(session, job)
    await record(session, action="job.delete", actor_id=actor.id, target=f"job:{job.id}", ctx=ctx)
    return DeleteOutcome(cancelled=None)


async def cancel_jobs_of(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    actor: Principal,
    queue: JobQueue,
    ctx: RequestContext,
) -> int:
    """Cancel every queued and running job of ``owner_id`` (its owner is being disabled).

    A running one stops at its next progress step, as with the owner's own cancel.
    """
    cancelled = await repository.cancel_active(session, owner_id, now=utcnow())
    for job_id in cancelled:
        await record(
            session, action="job.cancel", actor_id=actor.id, target=f"job:{job_id}", ctx=ctx
        )
        revoke_after_commit(session, queue, job_id)
    return len(cancelled)
