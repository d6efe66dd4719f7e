"""Our service as a benchmark target: ``faceless serve --behind-proxy`` and data through its API.

Every benchmark that loads the full service starts it here (plain HTTP, one worker,
127.0.0.1) and writes its data through the public API, as a client would, so what is
measured is what clients get. ``HIGH_LIMITS`` keeps the limiter doing its full work on
every request with budgets out of reach, so it never answers 429.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fixtures import ManagedProcess, free_port  # noqa: E402

FACELESS = str(Path(sys.executable).with_name("faceless"))
PASSWORD = "load test password 2026"
SHORT_SCRIPT = "Did you know rivers carve canyons? " * 3
SENTENCE = "Did you know that rivers carve canyons over millions of years, grain by grain? "
HIGH_LIMITS = ",".join(
    f"{tier}=100000000/minute"
    for tier in (
        "login",
        "refresh",
        "transcribe",
        "videos",
        "analyze",
        "jobs",
        "jobs-delete",
        "schedule",
        "default",
    )
)


def start_full(
    name: str,
    env: Mapping[str, str | None],
    workdir: Path,
    *,
    command: Sequence[str] = (FACELESS,),
) -> tuple[ManagedProcess, str, str]:
    """``command serve`` on a free port: the process, its base URL, the first admin password.

    ``command`` is how ``faceless`` is run (another checkout's, or a bootstrap script).
    """
    port = free_port()
    process = ManagedProcess(
        # Plain HTTP like the references: this compares request paths, not TLS.
        [*command, "serve", "--behind-proxy", "--port", str(port)],
        env=env,
        cwd=str(workdir),
        name=re.sub(r"\W+", "-", name).strip("-"),
    ).start()
    match = process.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=120)
    process.wait_for_port(port, "127.0.0.1", timeout=60)
    return process, f"http://127.0.0.1:{port}", match.group(1)


def login(http: httpx.Client, username: str, password: str) -> dict[str, str]:
    """A bearer header for ``username``."""
    answer = http.post("/api/v1/auth/login", json={"username": username, "password": password})
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def create_editor(http: httpx.Client, admin: Mapping[str, str], username: str) -> dict[str, str]:
    """A new editor with ``PASSWORD``; returns its bearer header."""
    http.post(
        "/api/v1/users",
        headers=dict(admin),
        json={"username": username, "password": PASSWORD, "role": "editor"},
    ).raise_for_status()
    return login(http, username, PASSWORD)


def script_of(index: int, size: int) -> str:
    """A distinct script of ``size`` characters."""
    head = f"Script {index}. "
    return head + (SENTENCE * (size // len(SENTENCE) + 1))[: size - len(head)]


def video_body(title: str, script: str = SHORT_SCRIPT) -> dict[str, object]:
    return {
        "title": title,
        "description": "A description of moderate length for the benchmark.",
        "script": script,
        "tags": ["bench", "video"],
    }


def create_videos(http: httpx.Client, auth: Mapping[str, str], scripts: Sequence[str]) -> list[str]:
    """One video per script, in order; returns their ids."""
    ids = []
    for i, script in enumerate(scripts):
        answer = http.post(
            "/api/v1/videos", headers=dict(auth), json=video_body(f"Video number {i}", script)
        )
        answer.raise_for_status()
        ids.append(answer.json()["id"])
    return ids


def prepare_data(
    base: str,
    admin_password: str,
    scripts: Sequence[str] = (SHORT_SCRIPT,) * 20,
) -> dict[str, str]:
    """An editor ``bench`` with one video per script; returns its bearer header."""
    with httpx.Client(base_url=base, timeout=30) as http:
        admin = login(http, "admin", admin_password)
        bench = create_editor(http, admin, "bench")
        create_videos(http, bench, scripts)
        listing = http.get("/api/v1/videos", headers=bench).json()
        assert listing["total"] == len(scripts), listing
        return bench
