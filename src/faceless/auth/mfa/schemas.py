from __future__ import annotations

from typing import Annotated

from pydantic import Field

from faceless.schemas import RequestModel, ResponseModel
from faceless.users.schemas import CurrentPassword

# The strict text rule holds: no code or token has a control character in it.
OneTimeCode = Annotated[str, Field(min_length=1, max_length=64)]
MfaTokenStr = Annotated[str, Field(min_length=16, max_length=2048)]


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
