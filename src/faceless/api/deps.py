"""Dependencies every feature package shares: runtime, the DB scope, request context."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated, Protocol

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from faceless.auth.principal_cache import PrincipalCache
from faceless.auth.service import AuthRuntime
from faceless.context import RequestContext
from faceless.db.encryption import DataProtection
from faceless.db.fast_read import FastReader
from faceless.db.session import transaction
from faceless.health.service import ReadinessTarget
from faceless.publishing import Publisher
from faceless.secrets import SecretManager
from faceless.security import request_state
from faceless.security.api_tokens import TokenOwners
from faceless.worker.queue import JobQueue


class AppRuntime(AuthRuntime, ReadinessTarget, Protocol):
    """What endpoints use of the process's runtime container (``app.state.runtime``).

    Declared here rather than imported, so features never depend on the entry layer
    that builds the container.
    """

    @property
    def engine(self) -> AsyncEngine: ...

    @property
    def read_sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def principal_cache(self) -> PrincipalCache: ...

    @property
    def api_tokens(self) -> TokenOwners: ...

    @property
    def fast_reader(self) -> FastReader: ...

    @property
    def data_protection(self) -> DataProtection: ...

    @property
    def queue(self) -> JobQueue: ...

    @property
    def secrets(self) -> SecretManager: ...

    @property
    def publisher(self) -> Publisher: ...


# Every dependency here is ``async def``: FastAPI runs a plain ``def`` dependency in a
# worker thread, and that hop costs more than the function itself.
async def get_runtime(request: Request) -> AppRuntime:
    return runtime_of(request)


def runtime_of(request: Request) -> AppRuntime:
    """The runtime, for a dependency that needs it only sometimes: each sub-dependency
    costs every request a resolution step (issue 11: profiled under load)."""
    runtime: AppRuntime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[AppRuntime, Depends(get_runtime)]


async def _db_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with transaction(runtime.sessions) as session:
        yield session


# scope="function": commit (or roll back) as soon as the endpoint returns, before the
# response is sent, so a client never sees a 2xx for a write that later failed.
DbSession = Annotated[AsyncSession, Depends(_db_session, scope="function")]


async def _read_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.read_sessions() as session:
        yield session


# For reads only: autocommit, so a GET costs its queries and nothing more. Objects
# loaded here must not be modified; writes load what they change through DbSession.
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]


def request_context(request: Request) -> RequestContext:
    client_ip = request_state.client_ip(request.scope)
    if client_ip is None and request.client is not None:
        client_ip = request.client.host
    return RequestContext(
        client_ip=client_ip,
        request_id=request_state.request_id(request.scope),
        user_agent=_user_agent(request.headers.get("user-agent")),
    )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
USER_AGENT_MAX_CHARS = 256


def _user_agent(value: str | None) -> str | None:
    """The header as shown in a session list: no control characters, at most 256 chars."""
    if not value:
        return None
    return _CONTROL.sub("", value)[:USER_AGENT_MAX_CHARS] or None


async def _request_context(request: Request) -> RequestContext:
    return request_context(request)


RequestCtx = Annotated[RequestContext, Depends(_request_context)]
