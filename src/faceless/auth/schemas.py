from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from faceless.schemas import RequestModel, ResponseModel

RefreshTokenStr = Annotated[str, Field(min_length=16, max_length=256)]


class LoginRequest(RequestModel):
    # Bounded but not pattern-checked: a malformed name is just a failed login (401),
    # answered like any other, so the shape of valid usernames leaks nothing.
    username: Annotated[str, Field(min_length=1, max_length=128)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class RefreshRequest(RequestModel):
    refresh_token: RefreshTokenStr


class LogoutRequest(RequestModel):
    refresh_token: RefreshTokenStr | None = None


class TokenResponse(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    expires_in: int
