"""Liveness at the edge: the route's own bytes, every edge layer's work, nothing else moved."""

from __future__ import annotations

import httpx
import pytest

from faceless.health.endpoints import Liveness, health
from faceless.health.liveness import LIVE_BODY, LIVE_HEADERS
from faceless.security.headers import build_header_policy
from tests.health.scrape import samples, value

EDGE_HEADERS = {name.decode() for name, _ in build_header_policy().for_scheme("http")}


async def test_the_edge_answers_the_routes_own_bytes() -> None:
    route_answer = await health()
    assert route_answer.status_code == 200
    assert route_answer.body == LIVE_BODY == Liveness().model_dump_json().encode()
    assert route_answer.raw_headers == list(LIVE_HEADERS)


@pytest.mark.parametrize("path", ["/health", "/api/v1/health", "/health?probe=1"])
async def test_liveness_carries_what_every_answer_carries(
    client: httpx.AsyncClient, path: str
) -> None:
    response = await client.get(path)
    assert response.status_code == 200
    assert response.content == LIVE_BODY
    assert response.headers["content-type"] == "application/json"
    assert set(response.headers) >= EDGE_HEADERS
    assert len(response.headers["x-request-id"]) == 32


async def test_liveness_is_counted_under_its_route(client: httpx.AsyncClient) -> None:
    def count(text: str, route: str) -> float:
        key = "faceless_http_requests_total"
        return value(samples(text), key, method="GET", route=route, status="200")

    before = (await client.get("/metrics")).text
    for _ in range(3):
        assert (await client.get("/health")).status_code == 200
    assert (await client.get("/api/v1/health")).status_code == 200
    after = (await client.get("/metrics")).text
    assert count(after, "/health") - count(before, "/health") == 3
    assert count(after, "/api/v1/health") - count(before, "/api/v1/health") == 1


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("HEAD", "/health", 405),  # FastAPI's answers, as before the edge answered GET
        ("POST", "/health", 405),
        ("GET", "/health/", 307),
        ("GET", "/healthz", 404),
    ],
)
async def test_everything_else_is_still_the_apps(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    response = await client.request(method, path, follow_redirects=False)
    assert response.status_code == status
    assert set(response.headers) >= EDGE_HEADERS


async def test_a_host_that_is_not_allowed_is_refused_first(client: httpx.AsyncClient) -> None:
    response = await client.get("/health", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
