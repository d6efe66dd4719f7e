"""Secret loads and failures reach the audit trail (name, backend, outcome; no value)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from faceless.models import AuditEvent
from faceless.runtime.container import Runtime
from faceless.secrets import SecretBackendError
from faceless.settings import Settings
from tests.conftest import running_app
from tests.secrets.test_manager import write_secret


async def audit_rows(services: Runtime) -> list[tuple[str, str, str]]:
    async with services.read_sessions() as session:
        rows = (await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all()
    return [(row.action, row.target or "", row.outcome) for row in rows]


async def test_start_up_loads_and_a_later_failure_are_audited(settings: Settings) -> None:
    async with running_app(settings) as (services, _http):
        rows = await audit_rows(services)
        assert ("secrets.load", "secret:SECRET_KEY@files", "success") in rows
        assert ("secrets.load", "secret:DATA_ENCRYPTION_KEY@files", "success") in rows

        # Mid-run, a secret file others can read: the read fails, in a worker thread.
        write_secret(
            settings.secrets_dir,
            "METRICS_TOKEN",
            "metrics-token-value-0123456789abcdef",
            mode=0o644,
        )
        services.secrets.reload()  # as when the TTL runs out
        with pytest.raises(SecretBackendError) as caught:
            await asyncio.to_thread(services.secrets.get, "METRICS_TOKEN")
        assert "metrics-token-value" not in str(caught.value)
        expected = ("secrets.load_failed", "secret:METRICS_TOKEN@files", "failure")
        for _ in range(100):
            rows = await audit_rows(services)
            if expected in rows:
                break
            await asyncio.sleep(0.05)
        assert expected in rows
