"""Assertions shared by API tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import func, select

from faceless.db.base import Base
from faceless.db.session import transaction
from faceless.runtime.container import Runtime


async def snapshot(services: Runtime) -> dict[str, Any]:
    """Row counts of every table plus the content of the mutable ones."""
    state: dict[str, Any] = {}
    async with transaction(services.sessions) as session:
        for table in Base.metadata.sorted_tables:
            state[table.name] = await session.scalar(select(func.count()).select_from(table))
        for name in ("videos", "schedules", "jobs", "users"):
            rows = (await session.execute(select(Base.metadata.tables[name]))).all()
            state[f"{name}:rows"] = sorted(repr(tuple(row)) for row in rows)
    return state


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body
