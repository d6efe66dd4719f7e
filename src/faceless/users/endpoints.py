from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from faceless.api.auth import AdminUser, CurrentUser
from faceless.api.deps import DbSession, ReadSession, RequestCtx, RuntimeDep
from faceless.api.pagination import ListEnvelope, Page, envelope
from faceless.users import service
from faceless.users.schemas import PasswordChange, UserCreate, UserOut, UserUpdate

router = APIRouter(prefix="/users", tags=["users"])


@router.post("", status_code=201, response_model=UserOut)
async def create_user(
    body: UserCreate, admin: AdminUser, runtime: RuntimeDep, session: DbSession, ctx: RequestCtx
) -> UserOut:
    user = await service.create_user(session, runtime.passwords, data=body, actor=admin, ctx=ctx)
    return UserOut.model_validate(user)


@router.get("", response_model=ListEnvelope[UserOut])
async def list_users(admin: AdminUser, session: ReadSession, page: Page) -> ListEnvelope[UserOut]:
    users, total = await service.list_users(session, limit=page.limit, offset=page.offset)
    return envelope(UserOut, users, total, page)


@router.patch(
    "/{user_id}",
    response_model=UserOut,
    description="Disabling also cancels the user's queued and running jobs and pending schedules.",
)
async def update_user(
    user_id: uuid.UUID,
    body: UserUpdate,
    admin: AdminUser,
    runtime: RuntimeDep,
    session: DbSession,
    ctx: RequestCtx,
) -> UserOut:
    user = await service.update_user(
        session, user_id=user_id, data=body, actor=admin, queue=runtime.queue, ctx=ctx
    )
    return UserOut.model_validate(user)


@router.post(
    "/me/password",
    status_code=204,
    response_class=Response,
    description="A wrong ``current_password`` counts toward the sign-in lockout (423 after 5).",
)
async def change_password(
    body: PasswordChange, principal: CurrentUser, runtime: RuntimeDep, ctx: RequestCtx
) -> Response:
    refused = await service.change_password(
        runtime,
        principal=principal,
        current_password=body.current_password,
        new_password=body.new_password,
        ctx=ctx,
    )
    if refused:
        raise refused.problem
    return Response(status_code=204)
