"""Prometheus metrics: one registry per process, exposed at ``/metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter

REGISTRY = CollectorRegistry(auto_describe=True)

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
