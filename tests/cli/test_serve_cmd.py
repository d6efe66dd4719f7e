"""``faceless serve`` as a real process: what it refuses before serving anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures import ManagedProcess, free_port
from tests.security.tls.conftest import FACELESS, serve_env

pytestmark = pytest.mark.slow


def test_several_workers_without_redis_refuse_to_start(tmp_path: Path) -> None:
    """Per-process rate limits and lockouts would give every client N times its budget."""
    port = free_port()
    env = serve_env(tmp_path / "var", tmp_path / "t.db", f"https://localhost:{port}")
    argv = [FACELESS, "serve", "--workers", "2", "--redirect-port", "0", "--port", str(port)]
    with ManagedProcess(argv, env=env, name="serve-workers", log_dir=tmp_path) as process:
        code = process.wait(timeout=60)
    assert code == 2
    assert "--workers 2 needs REDIS_URL" in process.output("stderr")
    assert not (tmp_path / "var").exists()  # refused before anything was prepared
