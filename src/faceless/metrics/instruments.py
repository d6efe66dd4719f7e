"""The service's instruments: what its processes count, time and hold.

Each process updates its own values; in multiprocess mode (see
:mod:`faceless.metrics.process_dir`) they live in files and a scrape sums them, so a
gauge says how to combine processes (``multiprocess_mode``). What is read from the
database or from files at scrape time (jobs by status, certificate expiry, the last
backup, ...) is not here: see :mod:`faceless.health.metrics_snapshot`.

Label values are always from a closed set (a route template, a tier, a job kind),
never from the request, so no client can grow the number of series.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

from faceless.metrics.process_dir import MULTIPROC_ENV

# Read at the same moment prometheus-client read it (its first import, just above).
MULTIPROCESS_DIR = os.environ.get(MULTIPROC_ENV)

# ``*_created`` series exist only in single-process mode: leave them out in both.
disable_created_metrics()  # type: ignore[no-untyped-call]  # untyped in prometheus-client
REGISTRY = CollectorRegistry(auto_describe=True)

# An API answer: a cached read in about a millisecond, an upload or a slow client in
# seconds; beyond 10 s only the +Inf bucket matters.
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
JOB_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0)
# Scheduled publishing promises "within 60 s"; the tail shows quota deferrals (hours).
PUBLISH_DELAY_BUCKETS = (1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0)

HTTP_REQUESTS = Counter(
    "faceless_http_requests",
    "Answered HTTP requests, by method, route template (or 'unmatched') and status.",
    ["method", "route", "status"],
    registry=REGISTRY,
)
HTTP_REQUEST_DURATION = Histogram(
    "faceless_http_request_duration_seconds",
    "Time from the request to the end of the answer, by method and route template.",
    ["method", "route"],
    buckets=HTTP_BUCKETS,
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "faceless_rate_limited_total",
    "Requests refused with 429, by tier.",
    ["tier"],
    registry=REGISTRY,
)
RATE_LIMIT_STORAGE_ERRORS = Counter(
    "faceless_rate_limit_storage_errors_total",
    "Rate-limit checks that could not reach their storage, by tier and fail mode.",
    ["tier", "mode"],
    registry=REGISTRY,
)
LOGIN_FAILURES = Counter(
    "faceless_login_failures_total",
    "Failed sign-in attempts, by reason.",
    ["reason"],
    registry=REGISTRY,
)
LOGIN_LOCKOUTS = Counter(
    "faceless_login_lockouts_total",
    "Sign-in lockouts started: an account name reached the failure threshold.",
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "faceless_job_duration_seconds",
    "Run time of jobs that reached an outcome, by kind and outcome.",
    ["kind", "outcome"],
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)
SCHEDULE_PUBLISH_DELAY = Histogram(
    "faceless_schedule_publish_delay_seconds",
    "How long after its publish_at a scheduled video was published.",
    buckets=PUBLISH_DELAY_BUCKETS,
    registry=REGISTRY,
)
DB_POOL_IN_USE = Gauge(
    "faceless_db_pool_connections_in_use",
    "Database connections checked out of the pool, summed over live processes.",
    registry=REGISTRY,
    multiprocess_mode="livesum",
)

LOGIN_FAILURE_REASONS = ("invalid_credentials", "invalid_code", "locked")
JOB_OUTCOMES = ("succeeded", "failed", "cancelled")
RATE_LIMIT_MODES = ("open", "closed")

for _reason in LOGIN_FAILURE_REASONS:
    # Series exist at zero from the start, so the first failure is an increase.
    LOGIN_FAILURES.labels(_reason)


def declare_job_kinds(kinds: list[str]) -> None:
    """Create every kind x outcome series at zero (called where the kinds are known)."""
    for kind in kinds:
        for outcome in JOB_OUTCOMES:
            JOB_DURATION.labels(kind, outcome)


def declare_rate_limit_tiers(tiers: list[str]) -> None:
    for tier in tiers:
        RATE_LIMITED.labels(tier)
        for mode in RATE_LIMIT_MODES:
            RATE_LIMIT_STORAGE_ERRORS.labels(tier, mode)
