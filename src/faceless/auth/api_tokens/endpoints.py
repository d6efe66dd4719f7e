"""``/api/v1/tokens``: API tokens for scripts, managed with a password session only.

No route here declares a scope, so an API token is refused on all of them (403,
``token.denied``): a token cannot make, list or revoke tokens (``api.scopes``).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response

from faceless.api.auth import CurrentUser
from faceless.api.deps import DbSession, ReadSession, RequestCtx, RuntimeDep
from faceless.api.pagination import ListEnvelope, Page
from faceless.auth.api_tokens import service
from faceless.auth.api_tokens.schemas import CreatedToken, TokenCreate, TokenOut
from faceless.models import ApiToken

router = APIRouter(prefix="/tokens", tags=["tokens"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _out(row: ApiToken) -> TokenOut:
    return TokenOut(
        id=row.id,
        name=row.name,
        scopes=row.scope_list,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
    )


@router.post(
    "",
    status_code=201,
    response_model=CreatedToken,
    description="Make an API token; ``token`` is in this answer only (store it now).",
)
async def create_token(
    body: TokenCreate,
    principal: CurrentUser,
    runtime: RuntimeDep,
    session: DbSession,
    ctx: RequestCtx,
    response: Response,
) -> CreatedToken:
    row, token = await service.create(
        session, runtime.api_tokens.hasher, user=principal.user, data=body, ctx=ctx
    )
    response.headers.update(_NO_STORE)
    return CreatedToken(**_out(row).model_dump(), token=token)


@router.get(
    "",
    response_model=ListEnvelope[TokenOut],
    description=(
        "Your API tokens not revoked (expired ones included), newest first; never the token."
    ),
)
async def list_tokens(
    principal: CurrentUser, session: ReadSession, page: Page
) -> ListEnvelope[TokenOut]:
    rows, total = await service.list_own(
        session, principal.id, limit=page.limit, offset=page.offset
    )
    return ListEnvelope[TokenOut](
        items=[_out(row) for row in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.delete(
    "/{token_id}",
    status_code=204,
    response_class=Response,
    description="Revoke one of your API tokens: it stops at once, in every process.",
)
async def revoke_token(
    token_id: uuid.UUID, principal: CurrentUser, session: DbSession, ctx: RequestCtx
) -> Response:
    await service.revoke(session, user_id=principal.id, token_id=token_id, ctx=ctx)
    return Response(status_code=204)
