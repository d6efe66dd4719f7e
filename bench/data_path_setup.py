"""Our servers for the data-path benchmark: deployed, filled through the API, measured at rest.

Two deployments of ``faceless serve --behind-proxy`` (one worker, plain HTTP):

- the production shape: PostgreSQL 15 with pgaudit and ``deploy/postgres/postgresql.conf``
  (the database set up by ``deploy/postgres/pg_audit_init.sh``, migrated as the owner
  role, served as the runtime login, as in production; its data on disk with fsync on
  unless asked otherwise) and Redis for limits and jobs;
- the embedded default: SQLite in the server's var dir and the in-memory limiter.

Each gets the same data written through its API: ``reader`` (20 videos with short
scripts; with ``extra`` also 20 transcription jobs), ``writer`` (whose token the writes
use, so the reader's list stays at 20 however long the write runs last) and, with
``extra``, ``reader3k`` (20 videos with 3 KB scripts) and ``reader100`` (100 videos).
``baseline_checkout`` provides another revision's ``faceless``, in a temporary git
worktree with its own ``uv sync --frozen`` virtualenv.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import wave
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from data_path_scenarios import JSON, POST_BODY
from our_server import (
    HIGH_LIMITS,
    ROOT,
    SHORT_SCRIPT,
    create_editor,
    create_videos,
    login,
    script_of,
    start_full,
)

from tests.db.hardened import (
    APP,
    APP_PASSWORD,
    LOG_PREFIX,
    OWNER,
    OWNER_PASSWORD,
    deploy_conf,
    run_init_script,
)
from tests.fixtures import ManagedProcess, PostgresCluster

# Tokens outlive the longest run; the limiter does its full work with budgets out of reach.
COMMON_ENV: dict[str, str | None] = {
    "FACELESS_ENV": "development",
    "RATE_LIMITS": HIGH_LIMITS,
    "ACCESS_TOKEN_SECONDS": "14400",
    "DATABASE_URL": None,
    "DATABASE_MIGRATION_URL": None,
    "REDIS_URL": None,
}
DURABLE = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
JOBS = 20  # MAX_QUEUED_JOBS_PER_USER's default: the Redis deployment has no Celery worker


@dataclass
class OurServer:
    label: str
    process: ManagedProcess
    base: str
    auth: dict[str, dict[str, str]]  # bearer header by user name
    video_id: str  # one of the reader's videos
    idle_rss_mb: float


def status_mb(pid: int | None, field: str) -> float:
    """One memory field of ``/proc/PID/status`` (VmRSS, RssAnon, ...), in MB; NaN once
    the process is gone."""
    with contextlib.suppress(OSError, TypeError):
        status = Path(f"/proc/{pid}/status").read_text()
        match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            return int(match.group(1)) / 1024
    return float("nan")


def rss_mb(pid: int | None) -> float:
    """Resident memory of one process (VmRSS), in MB; NaN once it is gone."""
    return status_mb(pid, "VmRSS")


def warm(base: str, paths: Sequence[str]) -> None:
    """20 rounds of GETs of ``paths``, each a 2xx: what every idle RSS is read after."""
    with httpx.Client(base_url=base, timeout=60) as http:
        for _ in range(20):
            for path in paths:
                http.get(path).raise_for_status()


def production_cluster(*, fsync: bool) -> PostgresCluster:
    """PostgreSQL as deploy/postgres configures it; on disk and durable unless ``fsync`` off."""
    conf = {**deploy_conf(), **LOG_PREFIX, **(DURABLE if fsync else {})}
    base_dir = tempfile.gettempdir() if fsync else None  # else the fixture may pick tmpfs
    return PostgresCluster(preload_pgaudit=True, extra_conf=conf, base_dir=base_dir)


def production_env(pg: PostgresCluster, database: str, redis_url: str) -> dict[str, str]:
    """A new database set up the production way; the server's settings for it."""
    pg.create_database(database)
    run_init_script(pg, database)
    return {
        "DATABASE_URL": pg.dsn(database, user=APP, password=APP_PASSWORD),
        "DATABASE_MIGRATION_URL": pg.dsn(database, user=OWNER, password=OWNER_PASSWORD),
        "REDIS_URL": redis_url,
    }


def _run_env(overrides: Mapping[str, str | None]) -> dict[str, str]:
    merged = {**os.environ, **overrides}
    return {key: value for key, value in merged.items() if value is not None}


def silent_wav(seconds: float = 1.0, rate: int = 16000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


def _fill(http: httpx.Client, admin_password: str, *, extra: bool) -> dict[str, dict[str, str]]:
    admin = login(http, "admin", admin_password)
    auth = {name: create_editor(http, admin, name) for name in ("reader", "writer")}
    create_videos(http, auth["reader"], [SHORT_SCRIPT] * 20)
    auth["reader-token"] = _api_token(http, auth["reader"])
    if extra:
        auth["reader3k"] = create_editor(http, admin, "reader3k")
        create_videos(http, auth["reader3k"], [script_of(i, 3000) for i in range(20)])
        auth["reader100"] = create_editor(http, admin, "reader100")
        create_videos(http, auth["reader100"], [SHORT_SCRIPT] * 100)
    return auth


def _api_token(http: httpx.Client, session: Mapping[str, str]) -> dict[str, str]:
    """A bearer header with an API token (videos:read) of the same user as ``session``.

    A revision without API tokens (a ``--baseline`` before issue 15) answers 404: its
    row then measures the session token again, so the ratio to it is 1 by construction.
    """
    answer = http.post(
        "/api/v1/tokens",
        headers=dict(session),
        json={"name": "bench", "scopes": ["videos:read"]},
    )
    if answer.status_code == 404:
        return dict(session)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['token']}"}


def create_jobs(http: httpx.Client, auth: Mapping[str, str], *, wait: bool) -> None:
    """``JOBS`` transcriptions of silence; with ``wait``, until the in-process worker is done."""
    audio = silent_wav()
    for _ in range(JOBS):
        answer = http.post(
            "/api/v1/transcribe",
            headers=dict(auth),
            files={"file": ("silence.wav", audio, "audio/wav")},
        )
        if answer.status_code != 202:
            raise RuntimeError(f"POST /api/v1/transcribe: {answer.status_code} {answer.text}")
    deadline = time.monotonic() + 300
    while wait:
        listing = http.get("/api/v1/jobs", headers=dict(auth)).json()
        if all(job["status"] not in ("queued", "running") for job in listing["items"]):
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"jobs still unfinished after 300 s: {listing}")
        time.sleep(0.5)


def launch(
    label: str,
    command: list[str],
    deployment: Mapping[str, str],
    work: Path,
    *,
    extra: bool,
) -> OurServer:
    """Migrate, serve, fill; the idle RSS is read after the fill and a few warm-up reads."""
    var = work / re.sub(r"\W+", "-", label).strip("-")
    env = {**COMMON_ENV, **deployment, "FACELESS_VAR_DIR": str(var)}
    if "DATABASE_MIGRATION_URL" in deployment:  # the embedded default migrates in serve
        subprocess.run(
            [*command, "migrate"], env=_run_env(env), check=True, capture_output=True, timeout=300
        )
    process, base, password = start_full(label, env, work, command=command)
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            auth = _fill(http, password, extra=extra)
            # wrk fails a run on any non-2xx; the write must be a 201 besides.
            created = http.post(
                "/api/v1/videos", headers={**auth["writer"], **JSON}, content=POST_BODY
            )
            if created.status_code != 201:
                raise RuntimeError(f"{label}: POST /api/v1/videos answered {created.status_code}")
            listing = http.get("/api/v1/videos", headers=auth["reader"])
            listing.raise_for_status()
            for _ in range(20):
                http.get("/health").raise_for_status()
                http.get("/api/v1/videos", headers=auth["reader"]).raise_for_status()
            idle = rss_mb(process.pid)
            if extra:  # after the RSS: the embedded worker loads the speech engine
                create_jobs(http, auth["reader"], wait="REDIS_URL" not in deployment)
    except BaseException:
        process.close()
        raise
    video_id = listing.json()["items"][0]["id"]
    return OurServer(label, process, base, auth, video_id, idle)


@contextlib.contextmanager
def baseline_checkout(revision: str, scratch: Path) -> Iterator[list[str]]:
    """``revision``'s ``faceless`` command, from a temporary worktree removed on exit."""
    tree = scratch / "baseline-tree"
    git = ["git", "-C", str(ROOT)]
    subprocess.run(
        [*git, "worktree", "add", "--detach", str(tree), revision],
        check=True,
        capture_output=True,
        timeout=120,
    )
    try:
        found = shutil.which("uv")
        uv = [found] if found else ["python3", "-m", "uv"]  # as the Makefile finds it
        env = _run_env({"VIRTUAL_ENV": None, "UV_PROJECT_ENVIRONMENT": None})
        print(f"uv sync --frozen in the {revision} worktree", file=sys.stderr)
        subprocess.run(
            [*uv, "sync", "--frozen", "--quiet"],
            cwd=tree,
            env=env,
            check=True,
            timeout=900,
        )
        yield [str(tree / ".venv" / "bin" / "faceless")]
    finally:
        subprocess.run(
            [*git, "worktree", "remove", "--force", str(tree)], capture_output=True, timeout=120
        )
        shutil.rmtree(tree, ignore_errors=True)
