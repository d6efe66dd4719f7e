"""What a scrape reads from the database, files and the secret store.

Rows are written with known ages (a job queued ten minutes ago, a heartbeat 25 minutes
old, a schedule five minutes overdue); the gauges must report at least those ages.
The upper bounds are only there to catch nonsense (hours instead of minutes).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.backup.state import record_success
from faceless.db.audit.head_export import HeadSigner, export_head
from faceless.db.audit.writer import record
from faceless.db.base import utcnow
from faceless.db.engine import create_engine
from faceless.db.session import create_sessionmaker, transaction
from faceless.health.metrics_snapshot import scrape_families
from faceless.metrics.exposition import render
from faceless.models import Job, JobKind, JobStatus
from faceless.runtime.container import Runtime, build_runtime
from faceless.secrets import SecretManager
from faceless.secrets.factory import build_secret_manager
from faceless.security.tls.certs import CertPaths, generate
from faceless.settings import SecretsSettings, Settings, VaultSettings
from tests.fixtures import free_port
from tests.health.scrape import Key, names, samples, value
from tests.worker.support import add_row, add_schedule, add_user, add_video

MINUTE = 60.0


@dataclass
class Target:
    settings: Settings
    read_sessions: async_sessionmaker[AsyncSession]
    secrets: SecretManager


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    built = build_runtime(settings)  # not started: no worker, no sweep touches the rows
    try:
        yield built
    finally:
        await built.close()


async def scrape(target: Runtime | Target) -> dict[Key, float]:
    return samples(render(await scrape_families(target)).decode())


def ago(seconds: float) -> datetime:
    return utcnow() - timedelta(seconds=seconds)


async def test_job_and_schedule_gauges_report_counts_and_ages(runtime: Runtime) -> None:
    owner = await add_user(runtime)
    for status, kind, at in (
        (JobStatus.QUEUED, JobKind.TRANSCRIBE, ago(10 * MINUTE)),
        (JobStatus.QUEUED, JobKind.TRANSCRIBE, ago(2 * MINUTE)),
        (JobStatus.RUNNING, JobKind.PUBLISH, ago(25 * MINUTE)),
        (JobStatus.SUCCEEDED, JobKind.PUBLISH, ago(90 * MINUTE)),  # finished: not counted
    ):
        await add_row(
            runtime,
            Job(id=uuid.uuid4(), owner_id=owner, kind=kind, status=status, created_at=at,
                started_at=at, heartbeat_at=at, progress=0.0, attempts=1),
        )  # fmt: skip
    video = await add_video(runtime, owner)
    await add_schedule(runtime, owner, video, publish_at=ago(5 * MINUTE))
    later = await add_video(runtime, owner)
    await add_schedule(runtime, owner, later, publish_at=ago(-60 * MINUTE))  # not due yet

    found = await scrape(runtime)
    assert value(found, "faceless_jobs", kind="transcribe", status="queued") == 2
    assert value(found, "faceless_jobs", kind="publish", status="running") == 1
    assert value(found, "faceless_jobs", kind="publish", status="queued") == 0
    assert ("faceless_jobs", frozenset({("kind", "publish"), ("status", "succeeded")})) not in found
    queued = value(found, "faceless_jobs_oldest_queued_age_seconds", kind="transcribe")
    assert 10 * MINUTE <= queued < 60 * MINUTE
    stalest = value(found, "faceless_jobs_stalest_heartbeat_age_seconds", kind="publish")
    assert 25 * MINUTE <= stalest < 60 * MINUTE
    assert value(found, "faceless_jobs_stalest_heartbeat_age_seconds", kind="transcribe") == 0
    overdue = value(found, "faceless_schedule_overdue_seconds")
    assert 5 * MINUTE <= overdue < 60 * MINUTE
    assert value(found, "faceless_metrics_collector_up", collector="database") == 1


async def test_audit_export_age_is_zero_when_anchored_and_grows_when_not(
    runtime: Runtime,
) -> None:
    async with transaction(runtime.sessions) as session:
        await record(session, action="test.first", actor_id=None, target=None, ctx=None)
    unanchored = value(await scrape(runtime), "faceless_audit_head_export_age_seconds")
    assert unanchored > 0  # no export file yet: entry 1 is not covered
    signer = HeadSigner(runtime.data_protection.cipher.keyring)
    path = runtime.settings.audit_head_file
    await export_head(runtime.read_sessions, signer, path)
    assert value(await scrape(runtime), "faceless_audit_head_export_age_seconds") == 0
    async with transaction(runtime.sessions) as session:
        await record(session, action="test.second", actor_id=None, target=None, ctx=None)
    assert value(await scrape(runtime), "faceless_audit_head_export_age_seconds") > 0
    path.write_text("{not json")  # an unreadable export anchors nothing
    assert value(await scrape(runtime), "faceless_audit_head_export_age_seconds") >= unanchored


async def test_backup_and_certificate_gauges_come_from_files(runtime: Runtime) -> None:
    settings = runtime.settings
    found = await scrape(runtime)
    assert value(found, "faceless_backup_last_success_timestamp_seconds") == 0  # never
    assert "faceless_tls_certificate_expiry_seconds" not in names(found)  # no certificate

    at = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)
    record_success(settings.backup_state_file, at=at, backup=Path("b"), size=1, sha256="0" * 64)
    generate(CertPaths(settings.tls_dir))
    found = await scrape(runtime)
    assert value(found, "faceless_backup_last_success_timestamp_seconds") == at.timestamp()
    left = value(found, "faceless_tls_certificate_expiry_seconds")
    assert 89 * 86400 < left <= 90 * 86400  # a fresh development leaf lives 90 days
    assert value(found, "faceless_metrics_collector_up", collector="files") == 1


async def test_a_secret_backend_that_does_not_answer_reads_as_down(
    runtime: Runtime, tmp_path: Path
) -> None:
    secrets_dir = tmp_path / "vault-secrets"
    secrets_dir.mkdir(mode=0o700)
    token = secrets_dir / "VAULT_TOKEN"
    token.write_text("s.not-a-real-token")
    token.chmod(0o600)
    unreachable = runtime.settings.model_copy(
        update={
            "secrets": SecretsSettings(backends=["files", "vault"], directory=secrets_dir),
            "vault": VaultSettings(addr=f"http://127.0.0.1:{free_port()}", timeout_seconds=0.5),
        }
    )
    target = Target(unreachable, runtime.read_sessions, build_secret_manager(unreachable))
    found = await scrape(target)
    assert value(found, "faceless_secret_backend_up", backend="files") == 1
    assert value(found, "faceless_secret_backend_up", backend="vault") == 0
    assert value(found, "faceless_metrics_collector_up", collector="secrets") == 1


async def test_an_unreachable_database_is_reported_not_hidden(runtime: Runtime) -> None:
    engine = create_engine(f"postgresql+asyncpg://nobody:x@127.0.0.1:{free_port()}/none")
    try:
        target = Target(runtime.settings, create_sessionmaker(engine), runtime.secrets)
        found = await scrape(target)
    finally:
        await engine.dispose()
    assert value(found, "faceless_metrics_collector_up", collector="database") == 0
    assert "faceless_jobs" not in names(found)  # no stale numbers in its place
    assert value(found, "faceless_metrics_collector_up", collector="files") == 1
    assert value(found, "faceless_secret_backend_up", backend="files") == 1
