"""``faceless serve`` becomes the API process in place (ADR 0033): same pid, optimized,
no metrics directory left behind, and a clear error if the exec itself fails."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import httpx
import pytest

from faceless.metrics.process_dir import MULTIPROC_ENV
from faceless.runtime import api_process
from faceless.runtime.serve_options import ServeOptions
from tests.fixtures import ManagedProcess, free_port
from tests.security.tls.conftest import FACELESS, serve_env


@pytest.mark.slow
def test_serve_becomes_the_optimized_api_process_under_its_own_pid(tmp_path: Path) -> None:
    port = free_port()
    env = serve_env(tmp_path / "var", tmp_path / "t.db", f"https://localhost:{port}")
    temp = tmp_path / "tmp"  # where both images make their metrics directories
    temp.mkdir()
    env["TMPDIR"] = str(temp)
    argv = [FACELESS, "serve", "--behind-proxy", "--port", str(port)]
    with ManagedProcess(argv, env=env, name="serve", log_dir=tmp_path) as process:
        process.wait_for_port(port, timeout=60)
        assert httpx.get(f"http://127.0.0.1:{port}/health").status_code == 200
        assert process.pid is not None
        pid_file = tmp_path / "var" / "run" / "faceless.pid"
        assert pid_file.read_text().strip() == str(process.pid)  # the exec kept the pid
        command = Path(f"/proc/{process.pid}/cmdline").read_bytes().split(b"\0")
        assert command[1:6] == [b"-OO", b"-X", b"no_debug_ranges", b"-P", b"-m"]
        assert command[6] == b"faceless.runtime.api_process"
        # One metrics directory: the command's went before the exec.
        assert len(list(temp.glob("faceless-metrics-*"))) == 1
        process.stop()
    assert list(temp.glob("faceless-metrics-*")) == []  # and the API process's at exit


def test_a_failed_exec_says_so_and_leaves_the_signals_unblocked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(sys, "executable", str(tmp_path / "no-such-python"))
    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    options = ServeOptions("127.0.0.1", free_port(), 1, tls=False, redirect_fd=None)
    with pytest.raises(SystemExit, match="the API process did not start"):
        api_process.exec_api_process(options)
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    assert not blocked & api_process.SIGNALS_HELD
