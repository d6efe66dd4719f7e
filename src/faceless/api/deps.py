"""Dependencies every feature package shares: services, the DB scope, request context."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.context import RequestContext
from faceless.db.session import transaction
from faceless.errors import request_id_of
from faceless.services import Services


# Every dependency here is ``async def``: FastAPI runs a plain ``def`` dependency in a
# worker thread, and that hop costs more than the function itself.
async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def _db_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    async with transaction(services.sessions) as session:
        yield session


# scope="function": commit (or roll back) as soon as the endpoint returns, before the
# response is sent, so a client never sees a 2xx for a write that later failed.
DbSession = Annotated[AsyncSession, Depends(_db_session, scope="function")]


async def _read_session(services: ServicesDep) -> AsyncIterator[AsyncSession]:
    async with services.read_sessions() as session:
        yield session


# For reads only: autocommit, so a GET costs its queries and nothing more. Objects
# loaded here must not be modified; writes load what they change through DbSession.
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]


def request_context(request: Request) -> RequestContext:
    state = request.scope.get("state") or {}
    client_ip = state.get("client_ip")
    if client_ip is None and request.client is not None:
        client_ip = request.client.host
    return RequestContext(client_ip=client_ip, request_id=request_id_of(request.scope))


async def _request_context(request: Request) -> RequestContext:
    return request_context(request)


RequestCtx = Annotated[RequestContext, Depends(_request_context)]
