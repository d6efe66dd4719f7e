"""Authentication before bodies (API.md, "Abuse resistance").

A request to an authenticated endpoint without a valid token (missing, forged,
revoked, its owner disabled) is a 401 before its body is read; on the upload route the
role (403) is decided before reading too. Proven against a real ``faceless serve``
process over a raw socket: the client announces 20 MiB, sends 64 KiB, and the answer
arrives while the rest was never sent; nothing reaches the uploads directory. The
policy itself is checked against every mounted route, and the database check still
runs once per request.
"""

from __future__ import annotations

import http.client
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import event

from faceless.app import create_app
from faceless.models import Role
from faceless.routes import authentication_policy
from faceless.runtime.container import Runtime
from faceless.security.body_rules import JSON, MULTIPART
from faceless.security.edge_policy import build_edge
from faceless.settings import Settings
from tests.api.helpers import assert_problem
from tests.conftest import Accounts
from tests.fixtures.served import ServedApi, bearer

ANNOUNCED = 20 * 1024 * 1024
SENT = 64 * 1024
BOUNDARY = "abuse-boundary"
# A liveness bound: the refusal takes milliseconds; a server waiting for the body
# would never answer at all.
ANSWER_TIMEOUT = 15.0


def _sample_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", str(uuid.uuid4()), template)


def test_the_policy_covers_exactly_the_routes_that_need_a_principal(settings: Settings) -> None:
    """The OpenAPI document marks each operation that depends on the bearer check."""
    policy = authentication_policy()
    operations = create_app(settings).openapi()["paths"]
    checked = 0
    for template, methods in operations.items():
        for method, operation in methods.items():
            needs_token = bool(operation.get("security"))
            assert policy.requires_token(_sample_path(template)) is needs_token, (method, template)
            checked += 1
    assert checked >= 25
    # A path no route matches is the app's 404 (a trailing slash: its redirect).
    assert not policy.requires_token("/api/v1/not-a-route")
    assert not policy.requires_token("/api/v1/videos/")
    assert policy.requires_token(f"/api/v1/jobs/{uuid.uuid4()}/result")


def test_every_upload_route_has_a_gate(settings: Settings) -> None:
    policy = authentication_policy()
    rules = build_edge(settings).body_rules
    uploads = [path for path, rule in rules.by_path.items() if MULTIPART in rule.media_types]
    assert uploads == ["/api/v1/transcribe"]
    for path in uploads:
        assert policy.gate_for("POST", path) is not None
    assert policy.gate_for("GET", "/api/v1/videos") is None
    # The raw-body uploads of a video (rules by path pattern) have their gate too.
    assert len(rules.by_pattern) == 2
    for suffix in ("media", "thumbnail"):
        path = f"/api/v1/videos/{uuid.uuid4()}/{suffix}"
        assert JSON not in rules.for_path(path).media_types
        assert policy.gate_for("PUT", path) is not None
    assert policy.gate_for("GET", f"/api/v1/videos/{uuid.uuid4()}/media") is None


async def test_the_token_is_checked_once_per_request(
    services: Runtime, accounts: Accounts, client: httpx.AsyncClient
) -> None:
    auth = await accounts.headers("once", Role.EDITOR)
    lookups: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        if "auth_sessions" in statement and statement.lstrip().upper().startswith("SELECT"):
            lookups.append(statement)

    event.listen(services.engine.sync_engine, "before_cursor_execute", count)
    try:
        assert (await client.get("/api/v1/auth/me", headers=auth)).status_code == 200
        assert (await client.post("/api/v1/videos", headers=auth, json={"title": "t"})).is_success
    finally:
        event.remove(services.engine.sync_engine, "before_cursor_execute", count)
    assert len(lookups) == 2


async def test_refusals_without_a_body_keep_the_connection(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/videos")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"
    assert "connection" not in response.headers
    assert_problem(await client.get("/api/v1/no-such-route"), 404)
    # A method the path does not offer: still the path of an authenticated route.
    assert_problem(await client.put("/api/v1/videos"), 401)


# -- a real server, a raw socket -------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedApi]:
    env = {"RATE_LIMITS": "login=1000/minute,transcribe=1000/minute"}
    with ServedApi(tmp_path_factory.mktemp("auth-first"), env=env) as api:
        yield api


@pytest.fixture(scope="module")
def tokens(served: ServedApi) -> dict[str, str]:
    admin = served.admin_token()
    made = {"admin": admin}
    for name, role in (("viewer1", "viewer"), ("editor1", "editor"), ("gone1", "editor")):
        served.create_user(admin, name, role)
        made[name] = served.login(name)
    revoked = served.login("editor1")
    with served.client() as http:
        assert http.post("/api/v1/auth/logout", headers=bearer(revoked)).status_code == 204
        gone_id = http.get("/api/v1/auth/me", headers=bearer(made["gone1"])).json()["id"]
        response = http.patch(
            f"/api/v1/users/{gone_id}", headers=bearer(admin), json={"disabled": True}
        )
        assert response.status_code == 200
    made["revoked"] = revoked
    return made


def _multipart_start() -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\nRIFF"
    ).encode()


def partial_upload(
    served: ServedApi, authorization: str | None, *, announced: int = ANNOUNCED
) -> http.client.HTTPResponse:
    """Announce ``announced`` bytes, send the first 64 KiB, then only read the answer."""
    head = [
        "POST /api/v1/transcribe HTTP/1.1",
        f"Host: 127.0.0.1:{served.port}",
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
        f"Content-Length: {announced}",
    ]
    if authorization is not None:
        head.append(f"Authorization: {authorization}")
    start = _multipart_start()
    sock = socket.create_connection(("127.0.0.1", served.port), timeout=ANSWER_TIMEOUT)
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + start + b"\0" * (SENT - len(start)))
    response = http.client.HTTPResponse(sock)
    try:
        response.begin()
        response.read()
    finally:
        sock.close()
    return response


@pytest.mark.parametrize(
    ("who", "status"),
    [
        (None, 401),
        ("Basic YWRtaW46YWRtaW4=", 401),
        ("Bearer not-a-token", 401),
        ("forged", 401),
        ("revoked", 401),
        ("gone1", 401),
        ("viewer1", 403),
    ],
)
def test_refused_before_the_body_is_read(
    served: ServedApi, tokens: dict[str, str], who: str | None, status: int
) -> None:
    authorization = who
    if who == "forged":  # a real token with its signature bytes changed
        token = tokens["editor1"]
        authorization = "Bearer " + token[:-4] + ("AAAA" if token[-4:] != "AAAA" else "BBBB")
    elif who in tokens:
        authorization = f"Bearer {tokens[who]}"
    response = partial_upload(served, authorization)
    assert response.status == status
    assert response.getheader("content-type") == "application/problem+json"
    assert response.getheader("connection") == "close"
    if status == 401:
        assert response.getheader("www-authenticate") == "Bearer"
    assert served.uploaded_files() == []


def test_oversized_declared_bodies_are_413_whatever_the_token(
    served: ServedApi, tokens: dict[str, str]
) -> None:
    for authorization in (None, f"Bearer {tokens['viewer1']}", f"Bearer {tokens['editor1']}"):
        assert partial_upload(served, authorization, announced=400 * 1024 * 1024).status == 413
    assert served.uploaded_files() == []


def test_an_editor_upload_is_read_and_accepted(
    served: ServedApi, tokens: dict[str, str], speech_wav: Path
) -> None:
    with served.client() as http:
        response = http.post(
            "/api/v1/transcribe",
            headers=bearer(tokens["editor1"]),
            files={"file": ("speech.wav", speech_wav.read_bytes(), "audio/wav")},
        )
        assert response.status_code == 202, response.text
        jobs = http.get("/api/v1/jobs", headers=bearer(tokens["admin"])).json()
    assert jobs["total"] == 1
