from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from faceless.schemas import COMPARED_ONLY, RequestModel, ResponseModel
from faceless.users.schemas import CurrentPassword

RefreshTokenStr = Annotated[str, Field(min_length=16, max_length=256)]


class LoginRequest(RequestModel):
    # Any string: a name no account can have is a failed login (the generic 401, counted
    # by the rate limiter) rather than a 422 (auth.service.login, users.names).
    username: Annotated[str, COMPARED_ONLY]
    password: CurrentPassword


class RefreshRequest(RequestModel):
    refresh_token: RefreshTokenStr


class LogoutRequest(RequestModel):
    refresh_token: RefreshTokenStr | None = None


class TokenResponse(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_in: int


class MfaChallenge(ResponseModel):
    # Assigned, not a docstring: -OO strips docstrings, and this is the OpenAPI description.
    __doc__ = "The answer to a right password when MFA is active: the second step's token."

    mfa_required: Literal[True] = True
    mfa_token: str
    expires_in: int
