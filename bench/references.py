"""The references a benchmark measures our service against, each in its own uvicorn.

Every reference runs as ``uvicorn --http httptools --loop uvloop --workers 1
--no-access-log`` on 127.0.0.1:

- the bare FastAPI app, ``bench/bare_app.py`` (no middleware, FastAPI's default encoder);
- the raw ASGI app, ``bench/raw_app.py`` (sends stored bytes, no framework at all);
- the seed design reproduced, ``shared/peers/seed_reference`` (its README says how it is
  run): in its own virtualenv with fastapi, ``uvicorn[standard]``, slowapi and pyjwt,
  ``SEED_HUGE_LIMITS=1`` so its limiter works but never answers 429, and a bearer token
  from its ``make_token.py``. The project's venv serves when slowapi is in it; otherwise
  the virtualenv is made with ``python -m venv`` and pip from PyPI, in a temporary
  directory or in ``keep`` to be reused by the next run.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from our_server import ROOT

from tests.fixtures import ManagedProcess, free_port

BENCH = ROOT / "bench"
UVICORN_FLAGS = ("--http", "httptools", "--loop", "uvloop", "--workers", "1", "--no-access-log")
SEED_PACKAGES = ("fastapi", "uvicorn[standard]", "slowapi", "pyjwt")


def start_uvicorn(
    name: str,
    app: str,
    *,
    app_dir: Path = BENCH,
    python: str = sys.executable,
    env: Mapping[str, str | None] | None = None,
) -> tuple[ManagedProcess, str]:
    """``app`` ("module:attribute" in ``app_dir``) served; returns the process and base URL."""
    port = free_port()
    argv = [python, "-m", "uvicorn", "--app-dir", str(app_dir), app, "--host", "127.0.0.1"]
    argv += ["--port", str(port), *UVICORN_FLAGS, "--log-level", "warning"]
    process = ManagedProcess(argv, env=env, cwd=str(app_dir), name=name).start()
    process.wait_for_port(port, "127.0.0.1", timeout=60)
    return process, f"http://127.0.0.1:{port}"


def _has_seed_packages(python: Path) -> bool:
    probe = "import fastapi, jwt, slowapi, uvicorn, uvloop, httptools"
    return (
        subprocess.run([str(python), "-c", probe], capture_output=True, timeout=60).returncode == 0
    )


def seed_python(scratch: Path, keep: Path | None = None) -> Path:
    """A Python that can run the seed reference (see the module docstring)."""
    if importlib.util.find_spec("slowapi") is not None:
        return Path(sys.executable)
    venv = keep if keep is not None else scratch / "seed-venv"
    python = venv / "bin" / "python"
    if python.exists() and _has_seed_packages(python):
        return python
    print(f"creating the seed reference's virtualenv in {venv} (pip, PyPI)", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, *SEED_PACKAGES], check=True, timeout=900)
    return python


def start_seed(shared: Path, python: Path) -> tuple[ManagedProcess, str, dict[str, str]]:
    """The seed design on a free port; returns the process, base URL and a bearer header."""
    peers = shared / "peers"
    if not (peers / "seed_reference" / "app.py").exists():
        raise SystemExit(f"no seed reference in {peers}: pass --shared DIR")
    process, base = start_uvicorn(
        "seed",
        "app:app",
        app_dir=peers / "seed_reference",
        python=str(python),
        env={"SEED_HUGE_LIMITS": "1"},
    )
    token = subprocess.run(
        [str(python), str(peers / "make_token.py"), "240"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    return process, base, {"Authorization": f"Bearer {token}"}
