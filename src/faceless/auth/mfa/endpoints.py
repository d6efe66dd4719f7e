"""HTTP for multi-factor sign-in: the second sign-in step and TOTP management.

Every answer that carries a secret, a recovery code or a token is ``no-store``.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from faceless.api.auth import CurrentUser
from faceless.api.deps import RequestCtx, RuntimeDep
from faceless.api.problems import UNAVAILABLE_RESPONSES
from faceless.auth.mfa import service
from faceless.auth.mfa.schemas import (
    MfaLoginRequest,
    RecoveryCodes,
    TotpConfirmRequest,
    TotpDisableRequest,
    TotpEnrollment,
    TotpEnrollRequest,
)
from faceless.auth.schemas import TokenResponse
from faceless.auth.service import AuthFailure

public_router = APIRouter(prefix="/auth", tags=["auth"])
router = APIRouter(prefix="/auth/mfa", tags=["auth"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


@public_router.post(
    "/login/mfa",
    response_model=TokenResponse,
    responses=UNAVAILABLE_RESPONSES,
    description=(
        "The second sign-in step: the ``mfa_token`` from /auth/login and a code.\n\n"
        "The code is the authenticator's current 6-digit code or one of the recovery codes.\n"
        "Wrong codes are 401; the fifth wrong guess in a row is 423 with ``Retry-After``: the\n"
        "account is locked and the mfa token has ended."
    ),
)
async def login_mfa(
    body: MfaLoginRequest, response: Response, runtime: RuntimeDep, ctx: RequestCtx
) -> TokenResponse:
    outcome = await service.complete_login(
        runtime, mfa_token=body.mfa_token, code=body.code, ctx=ctx
    )
    if isinstance(outcome, AuthFailure):
        raise outcome.problem
    response.headers.update(_NO_STORE)
    return outcome


@router.post(
    "/totp",
    response_model=TotpEnrollment,
    description=(
        "Start enrollment: a new secret and its ``otpauth://`` URI, not active until confirmed."
        "\n\nA wrong password is 400 and counts toward the sign-in lockout (423 after 5)."
    ),
)
async def start_totp_enrollment(
    body: TotpEnrollRequest,
    principal: CurrentUser,
    response: Response,
    runtime: RuntimeDep,
    ctx: RequestCtx,
) -> TotpEnrollment:
    outcome = await service.start_enrollment(
        runtime, principal=principal, password=body.password, ctx=ctx
    )
    if isinstance(outcome, AuthFailure):
        raise outcome.problem
    response.headers.update(_NO_STORE)
    return TotpEnrollment(secret=outcome.secret, otpauth_uri=outcome.otpauth_uri)


@router.post(
    "/totp/confirm",
    response_model=RecoveryCodes,
    description=(
        "Confirm with a first code: MFA is active from now on. The ten single-use recovery\n"
        "codes are shown here only. A wrong code is 400 and counts toward the lockout."
    ),
)
async def confirm_totp_enrollment(
    body: TotpConfirmRequest,
    principal: CurrentUser,
    response: Response,
    runtime: RuntimeDep,
    ctx: RequestCtx,
) -> RecoveryCodes:
    outcome = await service.confirm_enrollment(
        runtime, principal=principal, code=body.code, ctx=ctx
    )
    if isinstance(outcome, AuthFailure):
        raise outcome.problem
    response.headers.update(_NO_STORE)
    return RecoveryCodes(recovery_codes=outcome)


@router.delete(
    "/totp",
    status_code=204,
    response_class=Response,
    description=(
        "Turn MFA off with the password and a code (TOTP or recovery). A wrong one is 400\n"
        "and counts toward the lockout."
    ),
)
async def disable_totp(
    body: TotpDisableRequest, principal: CurrentUser, runtime: RuntimeDep, ctx: RequestCtx
) -> Response:
    refused = await service.disable(
        runtime, principal=principal, password=body.password, code=body.code, ctx=ctx
    )
    if refused:
        raise refused.problem
    return Response(status_code=204)
