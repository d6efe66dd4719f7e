"""The request tally: the same numbers as observing each request, written within a second."""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from faceless.app import create_app
from faceless.metrics.instruments import HTTP_BUCKETS, REGISTRY
from faceless.metrics.tally import REQUESTS, RequestTally, add_observations
from faceless.runtime.container import build_runtime
from faceless.settings import Settings
from tests.conftest import BASE_URL

SECONDS = [0.0004, 0.001, 0.0011, 0.03, 0.03, 0.7, 2.5, 9.0, 11.0, 120.0]


def instruments() -> tuple[CollectorRegistry, Counter, Histogram]:
    registry = CollectorRegistry()
    requests = Counter("t_requests", "t", ["method", "route", "status"], registry=registry)
    durations = Histogram("t_seconds", "t", ["method", "route"], buckets=HTTP_BUCKETS,
                          registry=registry)  # fmt: skip
    return registry, requests, durations


def test_adding_bucket_counts_equals_observing_each_value() -> None:
    observed_registry, _, observed = instruments()
    added_registry, _, added = instruments()
    for seconds in SECONDS:
        observed.labels("GET", "/x").observe(seconds)
    buckets = [0] * (len(HTTP_BUCKETS) + 1)
    for seconds in SECONDS:
        buckets[bisect_left(HTTP_BUCKETS, seconds)] += 1
    add_observations(added.labels("GET", "/x"), buckets, sum(SECONDS))
    assert generate_latest(added_registry) == generate_latest(observed_registry)


async def test_the_tally_writes_by_itself_within_a_second_or_so() -> None:
    registry, requests, durations = instruments()
    tally = RequestTally(requests=requests, durations=durations)
    for seconds in SECONDS:
        tally.add("GET", "/x", 200, seconds)
    labels = {"method": "GET", "route": "/x", "status": "200"}
    assert registry.get_sample_value("t_requests_total", labels) is None  # not yet written
    for _ in range(100):  # bounded: 10 s, ten times the flush period
        if registry.get_sample_value("t_requests_total", labels) == len(SECONDS):
            break
        await asyncio.sleep(0.1)
    assert registry.get_sample_value("t_requests_total", labels) == len(SECONDS)
    count = registry.get_sample_value("t_seconds_count", {"method": "GET", "route": "/x"})
    assert count == len(SECONDS)


@asynccontextmanager
async def served_lifespan(app: Any) -> AsyncIterator[None]:
    """The ASGI lifespan protocol through the whole app, middleware included, as uvicorn
    drives it (``running_app`` enters the router's lifespan directly, past the layers)."""
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    sent: list[str] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message["type"])

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, send))
    await inbox.put({"type": "lifespan.startup"})
    while "lifespan.startup.complete" not in sent:
        assert not task.done(), sent
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await task
    assert sent[-1] == "lifespan.shutdown.complete"


async def test_an_app_writes_what_it_counted_when_its_lifespan_ends(settings: Settings) -> None:
    labels = {"method": "POST", "route": "/api/v1/auth/login", "status": "401"}
    REQUESTS.flush()  # what earlier tests' apps counted is not this app's
    before = REGISTRY.get_sample_value("faceless_http_requests_total", labels) or 0
    runtime = build_runtime(settings)
    app = create_app(settings, runtime=runtime)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            served_lifespan(app),
            httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http,
        ):
            for _ in range(3):
                response = await http.post(
                    "/api/v1/auth/login", json={"username": "nobody", "password": "x" * 12}
                )
                assert response.status_code == 401
    finally:
        await runtime.close()
    # No scrape and no wait: the shutdown flushed.
    assert REGISTRY.get_sample_value("faceless_http_requests_total", labels) == before + 3
