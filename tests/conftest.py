"""Shared fixtures: real databases (SQLite and a private PostgreSQL), the app, clients.

API tests run once per database backend. Each test gets its own database, copied
from a template migrated once per session, so tests are isolated and fast.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from faceless.app import create_app
from faceless.db.migrate import upgrade
from faceless.db.session import transaction
from faceless.models import Role
from faceless.runtime.container import Runtime, build_runtime
from faceless.security.ratelimit.rules import DEFAULT_RATES
from faceless.settings import (
    DatabaseSettings,
    Environment,
    HttpSettings,
    PathSettings,
    SecretsSettings,
    SecuritySettings,
    Settings,
    WorkerSettings,
)
from faceless.users.schemas import UserCreate
from faceless.users.service import create_user
from tests.fixtures.postgres import PostgresCluster
from tests.fixtures.redis import RedisServer
from tests.fixtures.speech import espeak
from tests.speech.audio import SENTENCE
from tests.speech.crafted import lying_files

PASSWORD = "correct horse battery 42"
BASE_URL = "http://localhost"


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    # pgaudit preloaded: the migrations require it (0003), so the suite runs the real thing.
    with PostgresCluster(preload_pgaudit=True) as cluster:
        yield cluster


@pytest.fixture(scope="session")
def pg_template(pg_cluster: PostgresCluster) -> str:
    pg_cluster.create_database("faceless_template")
    upgrade(pg_cluster.dsn("faceless_template"))
    return "faceless_template"


@pytest.fixture
def pg_url(pg_cluster: PostgresCluster, pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test (PostgreSQL-only tests)."""
    name = "p_" + uuid.uuid4().hex[:12]
    pg_cluster.create_database(name, template=pg_template)
    yield pg_cluster.dsn(name)
    pg_cluster.drop_database(name)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def speech_wav(audio_dir: Path) -> Path:
    """espeak-ng saying ``tests.speech.audio.SENTENCE`` (about 7 s)."""
    return espeak(SENTENCE, audio_dir / "speech.wav")


@pytest.fixture(scope="session")
def lying_audio(audio_dir: Path) -> dict[str, Path]:
    """Audio in every accepted format whose header omits or understates its length
    (``tests.speech.crafted.lying_files``)."""
    directory = audio_dir / "lying"
    directory.mkdir()
    return lying_files(directory)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "faceless.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = "t_" + uuid.uuid4().hex[:12]
    cluster.create_database(name, template=request.getfixturevalue("pg_template"))
    yield cluster.dsn(name)
    cluster.drop_database(name)


# Functional tests sign in many users from one address; the limiter's own tests use the
# real tiers. Every tier is raised, none is switched off.
GENEROUS_LIMITS = [f"{tier}=10000/minute" for tier in DEFAULT_RATES]


def make_settings(tmp_path: Path, database_url: str, **worker: float) -> Settings:
    secrets_dir = tmp_path / "secrets"
    return Settings(
        security=SecuritySettings(rate_limits=GENEROUS_LIMITS),
        env=Environment.DEVELOPMENT,
        paths=PathSettings(var_dir=tmp_path / "var"),
        database=DatabaseSettings(url=database_url),
        secrets=SecretsSettings(backends=["files"], directory=secrets_dir),
        http=HttpSettings(public_url="https://localhost:8443"),
        worker=WorkerSettings(**{"scheduler_interval_seconds": 0.5, **worker}),  # type: ignore[arg-type]
    )


def cli_env(settings: Settings) -> dict[str, str | None]:
    """The environment that gives a ``faceless`` command (or a child process) ``settings``."""
    return {
        "FACELESS_ENV": settings.env.value,
        "DATABASE_URL": settings.database_url,
        "FACELESS_VAR_DIR": str(settings.paths.var_dir),
        "SECRETS_DIR": str(settings.secrets_dir),
        "SECRETS_BACKENDS": "files",
        "REDIS_URL": None,
    }


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    os.environ.pop("REDIS_URL", None)
    return make_settings(tmp_path, database_url)


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    """The app with its lifespan running (embedded worker included), and a client for it."""
    services = build_runtime(settings)
    app = create_app(settings, runtime=services)
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as http,
        ):
            yield services, http
    finally:
        await services.close()


@pytest.fixture
async def app_and_client(settings: Settings) -> AsyncIterator[tuple[Runtime, httpx.AsyncClient]]:
    async with running_app(settings) as pair:
        yield pair


@pytest.fixture
def services(app_and_client: tuple[Runtime, httpx.AsyncClient]) -> Runtime:
    return app_and_client[0]


@pytest.fixture
def client(app_and_client: tuple[Runtime, httpx.AsyncClient]) -> httpx.AsyncClient:
    return app_and_client[1]


async def create_account(services: Runtime, username: str, role: Role = Role.EDITOR) -> uuid.UUID:
    """A user with ``PASSWORD``, straight through the service layer (no HTTP, no limits)."""
    async with transaction(services.sessions) as session:
        user = await create_user(
            session,
            services.passwords,
            data=UserCreate(username=username, password=PASSWORD, role=role),
            actor=None,
            ctx=None,
        )
    return user.id


class Accounts:
    """Creates users straight through the service layer and signs them in over HTTP."""

    def __init__(self, services: Runtime, client: httpx.AsyncClient) -> None:
        self.services = services
        self.client = client

    async def create(self, username: str, role: Role = Role.EDITOR) -> uuid.UUID:
        return await create_account(self.services, username, role)

    async def login(self, username: str, password: str = PASSWORD) -> dict[str, str]:
        response = await self.client.post(
            "/api/v1/auth/login", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.text
        tokens: dict[str, str] = response.json()
        return tokens

    async def headers(self, username: str, role: Role = Role.EDITOR) -> dict[str, str]:
        await self.create(username, role)
        tokens = await self.login(username)
        return {"Authorization": f"Bearer {tokens['access_token']}"}


@pytest.fixture
def accounts(services: Runtime, client: httpx.AsyncClient) -> Accounts:
    return Accounts(services, client)
