"""Helpers shared by the API token and session tests."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from faceless.db.session import transaction
from faceless.models import AuditEvent
from faceless.runtime.container import Runtime

TOKENS = "/api/v1/tokens"
ME = "/api/v1/auth/me"
ALL_SCOPES = [
    "videos:read",
    "videos:write",
    "analyze",
    "transcribe",
    "jobs:read",
    "jobs:write",
    "schedule:read",
    "schedule:write",
]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def make_token(
    client: httpx.AsyncClient, headers: dict[str, str], scopes: list[str], **extra: Any
) -> dict[str, Any]:
    answer = await client.post(
        TOKENS, headers=headers, json={"name": "script", "scopes": scopes, **extra}
    )
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def audited(services: Runtime, action: str) -> list[tuple[str | None, str]]:
    """(target, outcome) of every audit event of ``action``, oldest first."""
    async with transaction(services.sessions) as session:
        rows = await session.execute(
            select(AuditEvent.target, AuditEvent.outcome)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return [(row[0], row[1]) for row in rows]
