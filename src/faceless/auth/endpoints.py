from __future__ import annotations

from fastapi import APIRouter, Request, Response

from faceless.api.auth import CurrentUser
from faceless.api.deps import DbSession, RequestCtx, RuntimeDep
from faceless.api.problems import UNAVAILABLE_RESPONSES
from faceless.api.request_body import json_body_schema, parse_body, parse_optional_body
from faceless.api.scopes import accepts_any_api_token
from faceless.auth import service
from faceless.auth.schemas import (
    LoginRequest,
    LogoutRequest,
    MfaChallenge,
    RefreshRequest,
    TokenResponse,
)
from faceless.db.session import transaction
from faceless.users.schemas import UserOut

public_router = APIRouter(prefix="/auth", tags=["auth"])
router = APIRouter(prefix="/auth", tags=["auth"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _token_response(tokens: TokenResponse, response: Response) -> TokenResponse:
    response.headers.update(_NO_STORE)
    return tokens


@public_router.post(
    "/login",
    response_model=TokenResponse | MfaChallenge,
    responses=UNAVAILABLE_RESPONSES,
    openapi_extra=json_body_schema(LoginRequest, form=True),
    description=(
        "Sign in with a username and password (JSON, or form-encoded for the docs page).\n\n"
        'With multi-factor sign-in active the answer is ``{"mfa_required": true, "mfa_token",\n'
        '"expires_in": 300}`` instead of tokens: send the mfa token and a code to\n'
        "``POST /api/v1/auth/login/mfa``."
    ),
)
async def login(
    request: Request, response: Response, runtime: RuntimeDep, ctx: RequestCtx
) -> TokenResponse | MfaChallenge:
    body = await parse_body(request, LoginRequest, allow_form=True)
    outcome = await service.login(runtime, username=body.username, password=body.password, ctx=ctx)
    if isinstance(outcome, service.AuthFailure):
        raise outcome.problem
    response.headers.update(_NO_STORE)
    return outcome


@public_router.post("/refresh", response_model=TokenResponse, responses=UNAVAILABLE_RESPONSES)
async def refresh(
    body: RefreshRequest, response: Response, runtime: RuntimeDep, ctx: RequestCtx
) -> TokenResponse:
    async with transaction(runtime.sessions) as session:
        outcome = await service.refresh(session, runtime, token=body.refresh_token, ctx=ctx)
    if isinstance(outcome, service.AuthFailure):
        raise outcome.problem
    return _token_response(outcome, response)


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    openapi_extra=json_body_schema(LogoutRequest, required=False),
    description="Revoke this access token's session and, if given, the refresh token's family.",
)
async def logout(
    request: Request,
    principal: CurrentUser,
    runtime: RuntimeDep,
    session: DbSession,
    ctx: RequestCtx,
) -> Response:
    body = await parse_optional_body(request, LogoutRequest)
    await service.logout(
        session,
        runtime,
        user=principal.user,
        session_id=principal.session_id,
        refresh_token=body.refresh_token if body else None,
        ctx=ctx,
    )
    return Response(status_code=204)


# Scripts may ask whose token they hold, whatever its scopes.
@router.get("/me", response_model=UserOut, dependencies=[accepts_any_api_token()])
async def me(principal: CurrentUser) -> UserOut:
    return UserOut.model_validate(principal.user)
