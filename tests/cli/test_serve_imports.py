"""The API process (``faceless serve``) does not import what only other processes use.

Every module a process imports stays resident for its life, and the serve process is the
API (one worker runs in it). Issue 11 brought its idle memory down by not importing
PyAV (media checks import it at their first upload), Celery (jobs are sent with the
Redis client), Jinja2 and the swagger-ui-py package (the docs read their assets from
its folder), structlog with Rich (``faceless.logging`` does its work), Alembic with
Mako and Pygments (the embedded default migrates SQLite in a child process) and every
other operator command; then (ADR 0028) watchfiles and pyotp, and, where Celery workers
run the jobs, every job's code. A real ``faceless serve`` runs here, is asked a few things,
and writes the modules it held when it exits.
"""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests.fixtures import ManagedProcess, RedisServer, free_port
from tests.security.tls.conftest import serve_env

pytestmark = pytest.mark.slow

# `faceless serve` itself (its console script's entry point) that lists sys.modules at exit.
SERVE = """
import atexit, os, sys
from pathlib import Path

atexit.register(lambda: Path(os.environ["MODULES_OUT"]).write_text("\\n".join(sys.modules)))
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


def served_modules(tmp_path: Path, redis_url: str | None) -> set[str]:
    port = free_port()
    env = serve_env(tmp_path / "var", tmp_path / "t.db", f"https://localhost:{port}")
    out = tmp_path / "modules.txt"
    env.update({"REDIS_URL": redis_url, "MODULES_OUT": str(out)})
    argv = [sys.executable, "-c", SERVE, "serve", "--behind-proxy", "--port", str(port)]
    with ManagedProcess(argv, env=env, name="serve", log_dir=tmp_path) as process:
        process.wait_for_port(port, timeout=60)
        base = f"http://127.0.0.1:{port}"
        for path in ("/health", "/docs", "/openapi.json", "/api/v1/videos"):
            httpx.get(base + path, timeout=30)
        process.stop()
    return set(out.read_text().split())


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
