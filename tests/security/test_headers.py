"""Every response carries the full security header set, exactly once.

Walks every operation in the app's own OpenAPI schema (so a new route is covered
the day it is added), plus the error paths that inner layers answer early.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from faceless.app import create_app
from faceless.models import Role
from faceless.runtime.container import Runtime
from faceless.security.headers import JSON_CSP
from tests.conftest import Accounts

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "x-xss-protection": "0",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "cross-origin-embedder-policy": "require-corp",
}
HSTS = "max-age=63072000; includeSubDomains"


def assert_security_headers(response: httpx.Response, *, https: bool) -> None:
    raw = [(k.decode().lower(), v.decode()) for k, v in response.headers.raw]
    names = [k for k, _ in raw]
    for name, value in EXPECTED.items():
        assert names.count(name) == 1, (name, response.request.url)
        assert response.headers[name] == value
    assert names.count("content-security-policy") == 1
    assert names.count("permissions-policy") == 1
    policy = response.headers["permissions-policy"]
    for feature in ("geolocation", "microphone", "camera", "payment", "usb", "magnetometer"):
        assert f"{feature}=()" in policy
    assert names.count("x-request-id") == 1
    assert "server" not in names
    assert names.count("strict-transport-security") == (1 if https else 0)
    if https:
        assert response.headers["strict-transport-security"] == HSTS
    assert "no-store" in response.headers.get("cache-control", "")


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)


def _body_for(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        return {"files": {"file": ("a.wav", b"RIFF0000WAVEfmt ")}}
    if content:
        return {"json": {}}
    return {}


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_every_route_and_error_path_carries_the_headers(
    services: Runtime, accounts: Accounts, scheme: str
) -> None:
    auth = await accounts.headers("headers", Role.ADMIN)
    app = create_app(services.settings, runtime=services)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://localhost") as http:
        schema = (await http.get("/openapi.json")).json()
        checked = 0
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                for headers in ({}, auth):
                    response = await http.request(
                        method.upper(), _concrete(path), headers=headers, **_body_for(operation)
                    )
                    assert response.status_code < 500, (method, path, response.text)
                    assert_security_headers(response, https=scheme == "https")
                    checked += 1
        assert checked > 30
        error_paths = [
            http.get("/no/such/route"),
            http.put("/api/v1/videos", headers=auth, json={}),
            http.get("/health", headers={"host": "evil.example"}),
            http.post(
                "/api/v1/videos", headers={**auth, "content-type": "text/plain"}, content=b"x"
            ),
            http.post(
                "/api/v1/videos",
                headers={**auth, "content-type": "application/json"},
                content=b"{" * (2 * 1024 * 1024),
            ),
            http.get("/api/v1/videos", headers={"Authorization": "Bearer nope"}),
        ]
        for pending in error_paths:
            response = await pending
            assert response.status_code >= 400
            assert_security_headers(response, https=scheme == "https")
            assert response.headers["content-security-policy"] == JSON_CSP


@pytest.mark.parametrize("scheme", ["http", "https"])
async def test_unhandled_500_carries_the_headers(services: Runtime, scheme: str) -> None:
    app = create_app(services.settings, runtime=services)

    @app.get("/explode")
    async def explode() -> None:
        raise ZeroDivisionError

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=f"{scheme}://localhost") as http:
        response = await http.get("/explode")
    assert response.status_code == 500
    assert_security_headers(response, https=scheme == "https")
