"""``/api/v1/auth/sessions``: one's own live sessions (password sign-ins; never API tokens)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from faceless.api.auth import CurrentUser
from faceless.api.deps import DbSession, ReadSession, RequestCtx
from faceless.api.pagination import ListEnvelope, Page
from faceless.auth.sessions import service
from faceless.auth.sessions.schemas import SessionOut

router = APIRouter(prefix="/auth/sessions", tags=["auth"])


@router.get(
    "",
    response_model=ListEnvelope[SessionOut],
    description="Your live sessions, newest first; ``current`` marks the one this request used.",
)
async def list_sessions(
    principal: CurrentUser, session: ReadSession, page: Page
) -> ListEnvelope[SessionOut]:
    rows, total = await service.list_live(
        session, principal.id, limit=page.limit, offset=page.offset
    )
    items = [
        SessionOut(
            id=row.id,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            ip=row.ip,
            user_agent=row.user_agent,
            current=row.id == principal.session_id,
        )
        for row in rows
    ]
    return ListEnvelope[SessionOut](items=items, total=total, limit=page.limit, offset=page.offset)


@router.delete(
    "/{session_id}",
    status_code=204,
    response_class=Response,
    description="End one of your sessions: its access and refresh tokens stop at once.",
)
async def revoke_session(
    session_id: uuid.UUID, principal: CurrentUser, session: DbSession, ctx: RequestCtx
) -> Response:
    await service.revoke(session, user_id=principal.id, session_id=session_id, ctx=ctx)
    return Response(status_code=204)
