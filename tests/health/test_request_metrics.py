"""Request metrics through ``/metrics``: route templates, bounded labels, edge answers.

The app runs in this process (one registry), so every check compares two scrapes and
looks at the difference, whatever earlier tests counted.
"""

from __future__ import annotations

import random
import shutil
import string
import uuid
from pathlib import Path

import httpx

from faceless.settings import SecuritySettings
from tests.conftest import PASSWORD, Accounts, make_settings, running_app
from tests.health.scrape import Key, samples, value


async def scrape(client: httpx.AsyncClient) -> dict[Key, float]:
    response = await client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return samples(response.text)


def delta(before: dict[Key, float], after: dict[Key, float], name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


async def test_requests_are_counted_and_timed_by_route_template(
    client: httpx.AsyncClient, accounts: Accounts
) -> None:
    headers = await accounts.headers("metrics-editor")
    before = await scrape(client)
    for _ in range(3):
        missing = await client.get(f"/api/v1/videos/{uuid.uuid4()}", headers=headers)
        assert missing.status_code == 404
    made = await client.post("/api/v1/videos", json={"title": "Counted"}, headers=headers)
    assert made.status_code == 201
    after = await scrape(client)

    template = "/api/v1/videos/{video_id}"
    assert delta(before, after, "faceless_http_requests_total", method="GET", route=template,
                 status="404") == 3  # fmt: skip
    assert delta(before, after, "faceless_http_requests_total", method="POST",
                 route="/api/v1/videos", status="201") == 1  # fmt: skip
    count = "faceless_http_request_duration_seconds_count"
    assert delta(before, after, count, method="GET", route=template) == 3
    # Every request falls under the 10 s bucket; no raw id ever becomes a label.
    bucket = "faceless_http_request_duration_seconds_bucket"
    assert delta(before, after, bucket, method="GET", route=template, le="10.0") == 3
    assert not any(str(made.json()["id"]) in str(key) for key in after)


async def test_a_thousand_random_paths_and_methods_add_no_series(
    client: httpx.AsyncClient,
) -> None:
    before = await scrape(client)
    rng = random.Random(14)
    methods = ["GET", "POST", "DELETE", "PROPFIND", "BREW", "HEAD"]
    seen_paths = []
    for _ in range(1000):
        path = "/" + "/".join(
            "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(1, 12)))
            for _ in range(rng.randint(1, 4))
        )
        seen_paths.append(path)
        await client.request(rng.choice(methods), path)
    after = await scrape(client)
    new_series = set(after) - set(before)
    routes = {dict(labels).get("route") for _name, labels in new_series}
    assert routes <= {"unmatched"}
    # Methods outside the HTTP set collapse to OTHER; statuses are a handful.
    http_series = {key for key in new_series if key[0] == "faceless_http_requests_total"}
    assert len(http_series) <= 12, sorted(map(str, http_series))
    assert {dict(labels)["method"] for _n, labels in http_series} <= {
        "GET", "POST", "DELETE", "HEAD", "OTHER"
    }  # fmt: skip
    unmatched = sum(
        v for (name, labels), v in after.items()
        if name == "faceless_http_requests_total" and dict(labels)["route"] == "unmatched"
    ) - sum(
        v for (name, labels), v in before.items()
        if name == "faceless_http_requests_total" and dict(labels)["route"] == "unmatched"
    )  # fmt: skip
    assert unmatched == 1000
    text = (await client.get("/metrics")).text
    assert not any(path in text for path in seen_paths if len(path) > 8)


async def test_edge_answers_carry_their_route_and_auth_counters_move(
    tmp_path: Path, sqlite_template: Path
) -> None:
    """A 429 from the limiter never reached the router; it is still labelled by route."""
    database = tmp_path / "edge.db"
    shutil.copyfile(sqlite_template, database)
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{database}").model_copy(
        update={"security": SecuritySettings(rate_limits=["login=7/minute"])}
    )
    async with running_app(settings) as (services, client):
        accounts = Accounts(services, client)
        await accounts.create("metrics-locked")
        before = await scrape(client)
        statuses = []
        wrong = PASSWORD[::-1]
        for _ in range(8):
            response = await client.post(
                "/api/v1/auth/login", json={"username": "metrics-locked", "password": wrong}
            )
            statuses.append(response.status_code)
        after = await scrape(client)
    # Five failures lock the name (the fifth starts the lock), the sixth and seventh are
    # refused as locked (423), the eighth is over the tier's budget (429).
    assert statuses == [401] * 5 + [423] * 2 + [429]
    login = "/api/v1/auth/login"
    requests = "faceless_http_requests_total"
    assert delta(before, after, requests, method="POST", route=login, status="429") == 1
    assert delta(before, after, requests, method="POST", route=login, status="423") == 2
    assert delta(before, after, "faceless_rate_limited_total", tier="login") == 1
    assert delta(before, after, "faceless_login_failures_total", reason="invalid_credentials") == 5
    assert delta(before, after, "faceless_login_failures_total", reason="locked") == 2
    assert delta(before, after, "faceless_login_lockouts_total") == 1
