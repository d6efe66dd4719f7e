from __future__ import annotations

from typing import Annotated

from pydantic import Field

from faceless.schemas import COMPARED_ONLY, RequestModel, ResponseModel
from faceless.users.schemas import CurrentPassword

# Only compared with what is stored, never stored or shown: any character is a wrong code.
OneTimeCode = Annotated[str, Field(min_length=1, max_length=64), COMPARED_ONLY]
MfaTokenStr = Annotated[str, Field(min_length=16, max_length=2048), COMPARED_ONLY]


class TotpEnrollRequest(RequestModel):
    password: CurrentPassword


class TotpConfirmRequest(RequestModel):
    code: OneTimeCode


class TotpDisableRequest(RequestModel):
    password: CurrentPassword
    code: OneTimeCode


class MfaLoginRequest(RequestModel):
    mfa_token: MfaTokenStr
    # A 6-digit TOTP code, or one of the recovery codes.
    code: OneTimeCode


class TotpEnrollment(ResponseModel):
    secret: str
    otpauth_uri: str


class RecoveryCodes(ResponseModel):
    recovery_codes: list[str]
