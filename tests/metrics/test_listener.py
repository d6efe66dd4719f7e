"""The worker's metrics listener: the API's access rule, only ``GET /metrics``."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from faceless.metrics.listener import MetricsListener

TOKEN = "a-metrics-token-of-at-least-32-characters"


@pytest.fixture
def listener() -> Iterator[MetricsListener]:
    # Nobody is allow-listed: only the token opens it.
    started = MetricsListener("127.0.0.1", 0, allow=[], token=lambda: TOKEN).start()
    try:
        yield started
    finally:
        started.close()


def test_the_token_opens_metrics_and_nothing_else_does(listener: MetricsListener) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{listener.port}") as http:
        allowed = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert allowed.status_code == 200
        assert allowed.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert "faceless_job_duration_seconds" in allowed.text
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
            refused = http.get("/metrics", headers=headers)
            assert refused.status_code == 403
            assert "faceless_" not in refused.text
        assert http.get("/other", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 404


def test_an_allow_listed_address_needs_no_token() -> None:
    listener = MetricsListener("127.0.0.1", 0, allow=["127.0.0.1"], token=lambda: None).start()
    try:
        response = httpx.get(f"http://127.0.0.1:{listener.port}/metrics")
    finally:
        listener.close()
    assert response.status_code == 200


def test_without_a_token_configured_only_the_allow_list_counts() -> None:
    closed = MetricsListener("127.0.0.1", 0, allow=[], token=lambda: None).start()
    try:
        response = httpx.get(
            f"http://127.0.0.1:{closed.port}/metrics", headers={"Authorization": "Bearer x"}
        )
    finally:
        closed.close()
    assert response.status_code == 403
