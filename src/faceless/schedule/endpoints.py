from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from faceless.api.auth import CurrentUser, EditorUser
from faceless.api.deps import DbSession, ReadSession, RequestCtx, RuntimeDep
from faceless.api.pagination import ListEnvelope, Page, envelope
from faceless.api.scopes import require_scope
from faceless.auth.scopes import SCHEDULE_READ, SCHEDULE_WRITE
from faceless.schedule import service
from faceless.schedule.schemas import ScheduleCreate, ScheduleOut

router = APIRouter(prefix="/schedule", tags=["schedule"])


@router.post(
    "", dependencies=[require_scope(SCHEDULE_WRITE)], status_code=201, response_model=ScheduleOut
)
async def create_schedule(
    body: ScheduleCreate,
    editor: EditorUser,
    session: DbSession,
    ctx: RequestCtx,
    response: Response,
    runtime: RuntimeDep,
) -> ScheduleOut:
    schedule = await service.create_schedule(
        session, data=body, actor=editor, ctx=ctx, publisher=runtime.publisher
    )
    response.headers["Location"] = f"/api/v1/schedule/{schedule.id}"
    return ScheduleOut.model_validate(schedule)


@router.get(
    "", dependencies=[require_scope(SCHEDULE_READ)], response_model=ListEnvelope[ScheduleOut]
)
async def list_schedules(
    principal: CurrentUser, session: ReadSession, page: Page
) -> ListEnvelope[ScheduleOut]:
    items, total = await service.list_schedules(
        session, principal=principal, limit=page.limit, offset=page.offset
    )
    return envelope(ScheduleOut, items, total, page)


@router.delete(
    "/{schedule_id}",
    dependencies=[require_scope(SCHEDULE_WRITE)],
    status_code=204,
    response_class=Response,
)
async def cancel_schedule(
    schedule_id: uuid.UUID, editor: EditorUser, session: DbSession, ctx: RequestCtx
) -> Response:
    await service.cancel_schedule(session, schedule_id=schedule_id, actor=editor, ctx=ctx)
    return Response(status_code=204)
