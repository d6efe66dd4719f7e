"""nginx in front of two real API processes, as in production, on loopback.

One stack per session: a dev CA and leaf (``faceless certs generate``'s code), a private
PostgreSQL database (a copy of the suite's migrated template) shared by two
``faceless serve --behind-proxy`` processes, and nginx with the project's rendered
configuration on free high ports. The admin and the development secrets are created
before the API processes start, so both find them in place and none races to make them.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from faceless.db.session import transaction
from faceless.models import Role
from faceless.runtime.container import build_runtime
from faceless.security.tls.certs import CertPaths, generate
from faceless.settings import DatabaseSettings, Environment, HttpSettings, PathSettings, Settings
from faceless.users.schemas import UserCreate
from faceless.users.service import create_user
from tests.fixtures import ManagedProcess, PostgresCluster, free_port
from tests.nginx.server import NginxServer, public_temp_dir, trusting

FACELESS = str(Path(sys.executable).with_name("faceless"))
ADMIN_PASSWORD = "correct horse battery 42"


def generate_certs(directory: Path) -> CertPaths:
    """What ``faceless certs generate --dir DIRECTORY`` does, in-process (no CLI start-up)."""
    paths = CertPaths(directory)
    generate(paths)
    return paths


@pytest.fixture
def public_dir() -> Iterator[Path]:
    """A temp dir nginx's unprivileged workers can traverse; removed afterwards."""
    path = public_temp_dir("faceless-nginx-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@dataclass(frozen=True)
class Stack:
    nginx: NginxServer
    apis: tuple[ManagedProcess, ...]
    api_ports: tuple[int, ...]
    certs: CertPaths
    admin_token: str

    @property
    def https_url(self) -> str:
        return self.nginx.https_url

    def client(self, **kwargs: object) -> httpx.Client:
        return httpx.Client(
            base_url=self.https_url,
            verify=trusting(self.certs.ca_cert),
            timeout=30,
            **kwargs,  # type: ignore[arg-type]
        )


def _api_env(database_url: str, var_dir: Path, public_url: str) -> dict[str, str | None]:
    return {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "TRUSTED_PROXIES": "127.0.0.1",
        "PUBLIC_URL": public_url,
        # nginx's own login wall is under test here; the app's tier is raised out of the way.
        "RATE_LIMITS": "login=10000/minute",
        "REDIS_URL": None,
        "ALLOWED_HOSTS": None,
        "SECRETS_BACKENDS": None,
        "SECRETS_DIR": None,
        "TLS_CERT_FILE": None,
        "TLS_KEY_FILE": None,
    }


async def _create_admin(settings: Settings) -> None:
    """The admin, straight through the service layer (this also writes the dev secrets)."""
    services = build_runtime(settings)
    try:
        async with transaction(services.sessions) as session:
            await create_user(
                session,
                services.passwords,
                data=UserCreate(username="admin", password=ADMIN_PASSWORD, role=Role.ADMIN),
                actor=None,
                ctx=None,
            )
    finally:
        await services.close()


@pytest.fixture(scope="session")
def nginx_stack(pg_cluster: PostgresCluster, pg_template: str) -> Iterator[Stack]:
    base = public_temp_dir("faceless-nginx-")
    database = "nginx_" + uuid.uuid4().hex[:8]
    # A copy of the suite's database migrated once (alembic upgrade head, as `faceless migrate`).
    pg_cluster.create_database(database, template=pg_template)
    apis: list[ManagedProcess] = []
    nginx: NginxServer | None = None
    try:
        certs = generate_certs(base / "certs")
        https_port = free_port()
        public_url = f"https://localhost:{https_port}"
        settings = Settings(
            env=Environment.DEVELOPMENT,
            paths=PathSettings(var_dir=base / "var"),
            database=DatabaseSettings(url=pg_cluster.dsn(database)),
            http=HttpSettings(public_url=public_url),
        )
        # Both processes then find the user and the secrets in place and start in parallel.
        asyncio.run(_create_admin(settings))
        env = _api_env(pg_cluster.dsn(database), base / "var", public_url)
        ports = (free_port(), free_port())
        for index, port in enumerate(ports):
            argv = [FACELESS, "serve", "--behind-proxy", "--host", "127.0.0.1", "--port", str(port)]
            apis.append(
                ManagedProcess(argv, env=env, name=f"api-{index + 1}", log_dir=base).start()
            )
        for api, port in zip(apis, ports, strict=True):
            api.wait_for_port(port, timeout=60)
        (base / "nginx").mkdir()
        nginx = NginxServer(
            settings=settings,
            directory=base / "nginx",
            cert=certs.cert,
            key=certs.key,
            upstreams=[f"127.0.0.1:{port}" for port in ports],
            https_port=https_port,
        )
        nginx.start()
        with httpx.Client(base_url=nginx.https_url, verify=trusting(certs.ca_cert)) as http:
            response = http.post(
                "/api/v1/auth/login", json={"username": "admin", "password": ADMIN_PASSWORD}
            )
            assert response.status_code == 200, response.text
        yield Stack(nginx, tuple(apis), ports, certs, response.json()["access_token"])
    finally:
        if nginx is not None:
            nginx.stop()
        for api in reversed(apis):
            api.stop()
        pg_cluster.drop_database(database)
        shutil.rmtree(base, ignore_errors=True)
