"""The families a scrape reads from the database, files and the secret store.

Computed when scraped, by the process that answers, rather than refreshed in the
background by every process: the value is as fresh as the scrape, nothing runs when
nobody scrapes, and ``--workers N`` processes do not each add the same job counts to
the sum. Each read is bounded: the job counts touch only unfinished jobs (status
index), the overdue schedule one row of the due index, the audit lag two rows by key;
each part of the scrape has a deadline, and a part that fails or times out reports
``faceless_metrics_collector_up{collector} 0`` instead of stale numbers (the secret
backends then read as down: their state could not be confirmed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.backup.state import last_success
from faceless.db.audit import repository as audit_repository
from faceless.db.audit.head_file import ExportFormatError, read_export
from faceless.db.base import utcnow
from faceless.logging import get_logger
from faceless.models import JobKind, JobStatus
from faceless.schedule import repository as schedule_repository
from faceless.secrets import SecretManager
from faceless.settings import Settings
from faceless.worker import repository as jobs_repository
from faceless.worker.repository import ActiveJobs

DATABASE_TIMEOUT_SECONDS = 2.0
FILES_TIMEOUT_SECONDS = 2.0
# Longer than a secret store's own client timeout (VAULT_TIMEOUT, 3 s by default).
SECRETS_TIMEOUT_SECONDS = 5.0
ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)

logger = get_logger("faceless.metrics")


class MetricsTarget(Protocol):
    """What a scrape reads (the runtime container)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def read_sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def secrets(self) -> SecretManager: ...


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _age(now: datetime, then: datetime | None) -> float:
    return max(0.0, (now - then).total_seconds()) if then is not None else 0.0


def _job_families(jobs: list[ActiveJobs], now: datetime) -> list[Metric]:
    found = {(job.kind, job.status): job for job in jobs}
    counts = GaugeMetricFamily(
        "faceless_jobs", "Unfinished jobs, by kind and status.", labels=["kind", "status"]
    )
    queued = GaugeMetricFamily(
        "faceless_jobs_oldest_queued_age_seconds",
        "How long the oldest queued job has waited (0 when none waits).",
        labels=["kind"],
    )
    stalest = GaugeMetricFamily(
        "faceless_jobs_stalest_heartbeat_age_seconds",
        "Time since the least recent sign of life of a running job (0 when none runs).",
        labels=["kind"],
    )
    for kind in JobKind:
        for status in ACTIVE:
            job = found.get((kind, status))
            counts.add_metric([kind.value, status.value], job.count if job else 0)
        queued_job, running_job = found.get((kind, ACTIVE[0])), found.get((kind, ACTIVE[1]))
        queued.add_metric([kind.value], _age(now, queued_job.oldest if queued_job else None))
        stalest.add_metric([kind.value], _age(now, running_job.oldest if running_job else None))
    return [counts, queued, stalest]


async def _audit_export_lag(session: AsyncSession, head_file: Path, now: datetime) -> float:
    """0 when the export names the head; else the age of the oldest entry it leaves out."""
    last_id, _hash = await audit_repository.head_values(session)
    try:
        export = await asyncio.to_thread(read_export, head_file)
    except ExportFormatError:
        export = None  # unreadable: nothing is anchored
    covered = export.last_id if export is not None else 0
    if last_id <= covered:
        return 0.0
    # A missing entry is a broken chain, `faceless audit verify`'s finding, not a delay.
    return _age(now, await audit_repository.recorded_at(session, covered + 1))


async def _database(target: MetricsTarget, now: datetime) -> list[Metric]:
    async with target.read_sessions() as session:
        jobs = await jobs_repository.active_jobs(session)
        overdue = await schedule_repository.oldest_overdue(session, now=now)
        lag = await _audit_export_lag(session, target.settings.audit_head_file, now)
    return [
        *_job_families(jobs, now),
        _gauge(
            "faceless_schedule_overdue_seconds",
            "How far past its publish_at the oldest unpublished due schedule is (0: none).",
            _age(now, overdue),
        ),
        _gauge(
            "faceless_audit_head_export_age_seconds",
            "How long the oldest audit entry not covered by the head export has existed.",
            lag,
        ),
    ]


def _backend_family(states: dict[str, bool]) -> Metric:
    family = GaugeMetricFamily(
        "faceless_secret_backend_up",
        "1 when a configured secret backend answers its health check, else 0.",
        labels=["backend"],
    )
    for backend, up in states.items():
        family.add_metric([backend], 1.0 if up else 0.0)
    return family


async def _secrets(target: MetricsTarget, _now: datetime) -> list[Metric]:
    states = await asyncio.to_thread(target.secrets.health)
    # As at start-up: a secrets directory nobody created yet is not an outage.
    return [
        _backend_family(
            {
                name: state == "ok" or (name == "files" and state == "directory missing")
                for name, state in states.items()
            }
        )
    ]


async def _files(target: MetricsTarget, now: datetime) -> list[Metric]:
    settings = target.settings
    done = await asyncio.to_thread(last_success, settings.backup_state_file)
    families: list[Metric] = [
        _gauge(
            "faceless_backup_last_success_timestamp_seconds",
            "When `faceless backup create` last succeeded (Unix time; 0: never).",
            done.timestamp() if done is not None else 0.0,
        )
    ]
    cert = settings.tls_cert_file
    if await asyncio.to_thread(cert.is_file):
        # Imported here: X.509 parsing is for a scrape where a certificate is (issue 11).
        from faceless.security.tls.inspection import CertificateInfo

        info = await asyncio.to_thread(CertificateInfo.of, cert, now=now)
        families.append(
            _gauge(
                "faceless_tls_certificate_expiry_seconds",
                "Seconds until the serving certificate expires (negative once it has).",
                (info.not_after - now).total_seconds(),
            )
        )
    return families


Part = Callable[[MetricsTarget, datetime], Awaitable[list[Metric]]]
PARTS: dict[str, tuple[Part, float]] = {
    "database": (_database, DATABASE_TIMEOUT_SECONDS),
    "secrets": (_secrets, SECRETS_TIMEOUT_SECONDS),
    "files": (_files, FILES_TIMEOUT_SECONDS),
}


async def _run(name: str, target: MetricsTarget, now: datetime) -> list[Metric] | None:
    part, timeout = PARTS[name]
    try:
        return await asyncio.wait_for(part(target, now), timeout)
    except Exception as exc:
        # The type only: messages can carry hosts or paths of the store.
        logger.warning("metrics.collector_failed", collector=name, error=type(exc).__name__)
        return None


async def scrape_families(target: MetricsTarget) -> list[Metric]:
    now = utcnow()
    names = list(PARTS)
    results = await asyncio.gather(*(_run(name, target, now) for name in names))
    families: list[Metric] = []
    up = GaugeMetricFamily(
        "faceless_metrics_collector_up",
        "1 when this part of the scrape could be read, else 0.",
        labels=["collector"],
    )
    for name, result in zip(names, results, strict=True):
        up.add_metric([name], 0.0 if result is None else 1.0)
        families.extend(result or [])
    if results[names.index("secrets")] is None:
        families.append(_backend_family(dict.fromkeys(target.secrets.backend_names, False)))
    return [*families, up]
