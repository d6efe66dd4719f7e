"""Health probes, request ids and the generic 500."""

from __future__ import annotations

import httpx
import pytest

from faceless.app import create_app
from faceless.db.engine import create_engine
from faceless.runtime.container import Runtime, build_runtime
from faceless.settings import Settings
from tests.api.helpers import assert_problem


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    for path in ("/health", "/api/v1/health"):
        response = await client.get(path)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": {"database": "ok", "queue": "ok", "secrets": "ok", "publisher": "ok"},
    }


async def test_readiness_names_a_failing_database(
    services: Runtime, client: httpx.AsyncClient
) -> None:
    healthy_engine = services.engine
    # Nothing listens on port 1: the database check must fail, and say so.
    services.engine = create_engine("postgresql+asyncpg://nobody:x@127.0.0.1:1/none")
    try:
        response = await client.get("/health/ready")
    finally:
        await services.engine.dispose()
        services.engine = healthy_engine
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["database"] != "ok"


@pytest.mark.parametrize(
    ("incoming", "echoed"),
    [
        ("abc-123_X.y", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("bad id", False),
        ("<script>", False),
    ],
)
async def test_request_id_echo_rules(
    client: httpx.AsyncClient, incoming: str, echoed: bool
) -> None:
    response = await client.get("/health", headers={"X-Request-ID": incoming})
    assert (response.headers["x-request-id"] == incoming) is echoed
    assert len(response.headers["x-request-id"]) <= 128


async def test_unhandled_exception_is_a_generic_problem(settings: Settings) -> None:
    services = build_runtime(settings)
    app = create_app(settings, runtime=services)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals /etc/passwd SELECT * FROM users")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://localhost") as client,
    ):
        response = await client.get("/boom")
    await services.close()
    body = assert_problem(response, 500)
    assert (
        "secret" not in response.text
        and "SELECT" not in response.text
        and "passwd" not in response.text
    )
    assert body["request_id"]
