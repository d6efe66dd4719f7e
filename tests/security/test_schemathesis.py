"""schemathesis against the app's own OpenAPI schema, over real HTTP, as an admin.

Every operation in ``/openapi.json`` gets a bounded number of generated requests
(valid ones, then ones that break the schema on purpose). Checked for each answer:
never a 5xx, the status code is one the schema declares, the media type is a
declared one, and the body validates against the declared schema. The server is
a real ``faceless serve`` (SQLite, embedded worker) with every rate-limit tier
raised, so the limiter does not turn the run into a wall of 429s.
"""

from __future__ import annotations

import sys
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from faceless.security.ratelimit.rules import DEFAULT_RATES
from tests.fixtures import ManagedProcess, free_port
from tests.fixtures.postgres import PostgresCluster

FACELESS = str(Path(sys.executable).with_name("faceless"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 20, GenerationMode.NEGATIVE: 12}
# A video's media and thumbnail are raw binary bodies: sent like octet-stream.
for _media_type in ("video/mp4", "video/quicktime", "video/webm", "image/jpeg", "image/png"):
    schemathesis.serializer.alias(_media_type, "application/octet-stream")


@pytest.fixture(scope="module")
def database(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None: the embedded default (SQLite under var/); else a fresh migrated PostgreSQL."""
    if request.param == "sqlite":
        yield None
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = "s_" + uuid.uuid4().hex[:12]
    cluster.create_database(name, template=request.getfixturevalue("pg_template"))
    yield cluster.dsn(name)
    cluster.drop_database(name)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, database: str | None
) -> Iterator[tuple[str, str]]:
    var_dir = tmp_path_factory.mktemp("schemathesis-var")
    port = free_port()
    env = {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(var_dir),
        "DATABASE_URL": database,
        "DATABASE_MIGRATION_URL": None,
        "REDIS_URL": None,
        "PUBLIC_URL": f"https://localhost:{port}",
        "RATE_LIMITS": ",".join(f"{tier}=100000/minute" for tier in DEFAULT_RATES),
        "TRUSTED_PROXIES": None,
        "CORS_ORIGINS": None,
    }
    process = ManagedProcess(
        [FACELESS, "serve", "--behind-proxy", "--port", str(port)],
        env=env,
        name="schemathesis-api",
        log_dir=var_dir,
    )
    with process:
        match = process.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=60)
        process.wait_for_port(port, timeout=60)
        yield f"http://127.0.0.1:{port}", match.group(1)


def _login(base_url: str, password: str) -> dict[str, str]:
    response = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"username": "admin", "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _second_user(base_url: str, admin: dict[str, str]) -> dict[str, str]:
    """A user of its own for the MFA endpoints: the wrong passwords and codes generated
    for them count toward its lockout (as they must), not the admin's."""
    password = f"generated {uuid.uuid4().hex}"
    created = httpx.post(
        f"{base_url}/api/v1/users",
        headers=admin,
        json={"username": "mfauser", "password": password, "role": "editor"},
    )
    assert created.status_code == 201, created.text
    response = httpx.post(
        f"{base_url}/api/v1/auth/login", json={"username": "mfauser", "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _run(operation: Any, mode: GenerationMode, call: Callable[[Any], None]) -> None:
    @settings(
        max_examples=EXAMPLES[mode],
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        call(case)

    try:
        run()
    except Unsatisfiable:
        # Nothing to break on purpose (an operation without parameters or a body).
        assert mode is GenerationMode.NEGATIVE, operation.label


@pytest.mark.slow
@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_every_operation_against_its_own_schema(server: tuple[str, str]) -> None:
    base_url, password = server
    auth = _login(base_url, password)
    mfa_auth = _second_user(base_url, auth)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    # Logging out revokes the token in use: that one runs last, on tokens of its own.
    operations.sort(key=lambda op: op.path.endswith("/auth/logout"))
    assert len(operations) > 25
    failures: dict[str, str] = {}
    calls = 0
    statuses: Counter[int] = Counter()

    for operation in operations:
        logout = operation.path.endswith("/auth/logout")
        public = logout or operation.path.endswith(
            ("/auth/login", "/auth/login/mfa", "/auth/refresh")
        )
        own = mfa_auth if "/auth/mfa/" in operation.path else auth

        def call(
            case: Any, logout: bool = logout, public: bool = public, own: dict[str, str] = own
        ) -> None:
            nonlocal calls
            headers = _login(base_url, password) if logout else own
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            calls += 1
            statuses[response.status_code] += 1
            # Our token must keep working (negative cases may break or drop it on purpose).
            if not public and case.meta.generation.mode is GenerationMode.POSITIVE:
                assert response.status_code != 401, response.text
            case.validate_response(response, checks=CHECKS, headers=headers)

        for mode in EXAMPLES:
            try:
                _run(operation, mode, call)
            except (
                AssertionError,
                BaseExceptionGroup,
            ) as exc:  # one report per operation and mode, then go on
                failures[f"{operation.label} [{mode.value}]"] = str(exc)[:1500]
    print(f"\nschemathesis: {len(operations)} operations, {calls} calls, {dict(statuses)}")
    assert not failures, "\n\n".join(f"{key}\n    {detail}" for key, detail in failures.items())
    assert calls > 300
    assert httpx.get(f"{base_url}/api/v1/auth/me", headers=auth).status_code == 200
