"""The API process (``faceless serve``) does not import what only other processes use.

Every module a process imports stays resident for its life, and the serve process is the
API (one worker runs in it). Issue 11 brought its idle memory down by not importing
PyAV (media checks import it at their first upload), Celery (jobs are sent with the
Redis client), Jinja2 and the swagger-ui-py package (the docs read their assets from
its folder), structlog with Rich (``faceless.logging`` does its work), Alembic with
Mako and Pygments (the embedded default migrates SQLite in a child process) and every
other operator command; then (ADR 0028) watchfiles and pyotp, and, where Celery workers
run the jobs, every job's code; on PostgreSQL, sqlite3 and its library (about 1 MB: the
modules of the SQLite paths import it where those run); then (ADR 0033) the command line
itself and pydantic.v1: ``faceless serve`` replaces its image with the API process,
which runs optimized. A real ``faceless serve`` runs here, is asked a few things, and
its API process writes the modules it held (and its optimization level) when it exits.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.fixtures import ManagedProcess, RedisServer, free_port
from tests.security.tls.conftest import serve_env

pytestmark = pytest.mark.slow

# The API process `faceless serve` becomes, writing what it held when it exits.
API_PROCESS = """
import atexit, json, os, sys
from pathlib import Path

def held():  # a module whose import is refused is a None entry: not held
    loaded = sorted(name for name, module in sys.modules.items() if module is not None)
    return json.dumps({"optimize": sys.flags.optimize, "modules": loaded})

atexit.register(lambda: Path(os.environ["MODULES_OUT"]).write_text(held()))
from faceless.runtime.api_process import main

main(sys.argv[1:])
"""

# `faceless serve` itself (its console script's entry point), becoming the process above.
SERVE = f"""
import sys
from faceless.runtime import api_process

api_process.API_PROCESS[:] = ["-c", {API_PROCESS!r}]
sys.argv = ["faceless", *sys.argv[1:]]
from faceless.cli.entry import main

main()
"""

# Top-level packages (and our modules) the API process must not hold.
NEVER_IN_SERVE = (
    "av",
    "pocketsphinx",
    "faster_whisper",
    "celery",
    "kombu",
    "billiard",
    "jinja2",
    "swagger_ui",
    "structlog",
    "rich",
    "pygments",
    "alembic",
    "mako",
    "sslyze",
    "watchfiles",  # uvicorn's --reload, imported whenever installed: not a dependency
    "pyotp",  # MFA codes import it at first use
    "faceless.posture",
    "faceless.security.tls.certs",  # --behind-proxy: no TLS, no redirect listener
    "faceless.security.redirect",
    "faceless.backup.service",
    "faceless.backup.restore",
    "faceless.nginx",
    "faceless.keys.service",
    "faceless.db.verify",
    "faceless.cli.audit_cmd",
    "faceless.cli.backup_cmd",
    "faceless.cli.security_check_cmd",
    "faceless.cli.worker_cmd",
    "faceless.runtime.celery_worker",
    "faceless.cli",  # the command checked, then made way for the API process
    "typer",
    "pydantic.v1",  # FastAPI imports it only to refuse v1 models: we have none
)


# Job code (handlers, the worker core, the YouTube client) the API process of the Redis
# shape never runs: Celery workers do. The embedded default runs jobs in-process.
NEVER_IN_REDIS_SERVE = (
    "faceless.runtime.jobs",
    "faceless.worker.embedded",
    "faceless.worker.runner",
    "faceless.worker.scheduler",
    "faceless.worker.sweep",
    "faceless.schedule.tasks",
    "faceless.transcribe.tasks",
    "faceless.publishing.youtube",
    "faceless.publishing.google_oauth",
)


def served_modules(
    tmp_path: Path,
    redis_url: str | None,
    database_url: str | None = None,
    signed_in: Callable[[httpx.Client], None] | None = None,
) -> set[str]:
    """The modules a real serve held at exit, after a few requests; ``signed_in`` makes
    more as the first-run admin."""
    port = free_port()
    env = serve_env(tmp_path / "var", tmp_path / "t.db", f"https://localhost:{port}")
    out = tmp_path / "modules.txt"
    env.update({"REDIS_URL": redis_url, "MODULES_OUT": str(out)})
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    argv = [sys.executable, "-c", SERVE, "serve", "--behind-proxy", "--port", str(port)]
    with ManagedProcess(argv, env=env, name="serve", log_dir=tmp_path) as process:
        process.wait_for_port(port, timeout=60)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            for path in ("/health", "/docs", "/openapi.json", "/api/v1/videos"):
                http.get(path)
            if signed_in is not None:
                first_run = process.wait_for_line(r"Initial admin password \(shown once\): (\S+)")
                login = {"username": "admin", "password": first_run.group(1)}
                signed = http.post("/api/v1/auth/login", json=login)
                assert signed.status_code == 200, signed.text
                http.headers["Authorization"] = f"Bearer {signed.json()['access_token']}"
                signed_in(http)
        process.stop()
    held = json.loads(out.read_text())
    assert held["optimize"] == 2  # -OO: no docstrings, no asserts (ADR 0033)
    return set(held["modules"])


def held(modules: set[str], never: tuple[str, ...] = NEVER_IN_SERVE) -> list[str]:
    return sorted(
        name for name in modules if any(name == n or name.startswith(n + ".") for n in never)
    )


def test_the_embedded_api_process_holds_no_worker_or_operator_modules(tmp_path: Path) -> None:
    modules = served_modules(tmp_path, redis_url=None)
    assert "faceless.app" in modules  # it did serve the app
    assert held(modules) == []
    # Without REDIS_URL nothing talks to Redis: redis-py stays out too.
    assert sorted(m for m in modules if m.split(".")[0] == "redis") == []


@pytest.mark.redis
def test_the_redis_api_process_sends_jobs_without_celery(
    tmp_path: Path, redis_server: RedisServer
) -> None:
    modules = served_modules(tmp_path, redis_url=redis_server.url(3))
    assert "faceless.worker.celery_queue" in modules  # its queue is the Celery one
    assert held(modules, NEVER_IN_SERVE + NEVER_IN_REDIS_SERVE) == []


def _writes_and_reads(http: httpx.Client) -> None:
    # The hot paths (db.fast_write, db.fast_read) and the audit sequencer, on asyncpg.
    created = http.post("/api/v1/videos", json={"title": "Foxes"})
    assert created.status_code == 201, created.text
    listed = http.get("/api/v1/videos")
    assert listed.status_code == 200, listed.text
    assert [video["title"] for video in listed.json()["items"]] == ["Foxes"]


@pytest.mark.postgres
@pytest.mark.parametrize("jobs", [pytest.param("redis", marks=pytest.mark.redis), "embedded"])
def test_the_postgres_api_process_never_loads_sqlite(
    tmp_path: Path, pg_url: str, jobs: str, request: pytest.FixtureRequest
) -> None:
    # The sqlite3 module and its library (about 1 MB resident) are imported only where
    # a SQLite code path runs. PostgreSQL with Redis is the production shape.
    redis_url = request.getfixturevalue("redis_server").url(14) if jobs == "redis" else None
    modules = served_modules(tmp_path, redis_url, pg_url, _writes_and_reads)
    assert "faceless.db.fast_write" in modules  # the hot write path did run
    assert sorted(m for m in modules if m.split(".")[0] in {"sqlite3", "_sqlite3"}) == []
    # SQLAlchemy's SQLite dialect imports aiosqlite (which imports sqlite3) only if used.
    assert "aiosqlite" not in modules
