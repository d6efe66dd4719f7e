"""The process tree's metrics directory: fresh, private, set before any metric, removed."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from faceless.metrics.process_dir import MetricsAlreadyImportedError, use_private_directory

CHILD = """
import json, os, sys
from faceless.metrics.process_dir import use_private_directory
directory = use_private_directory()
from faceless.metrics.instruments import HTTP_REQUESTS
HTTP_REQUESTS.labels("GET", "/health", "200").inc()
print(json.dumps({"dir": str(directory), "mode": os.stat(directory).st_mode,
                  "files": sorted(os.listdir(directory))}))
"""


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_a_process_gets_a_private_directory_that_it_removes_on_exit() -> None:
    first, second = run(CHILD), run(CHILD)
    assert first.returncode == 0, first.stderr
    seen = json.loads(first.stdout)
    assert stat.S_IMODE(seen["mode"]) == 0o700
    assert any(name.startswith("counter_") for name in seen["files"])  # values in files
    assert not Path(seen["dir"]).exists()  # gone with the process
    assert json.loads(second.stdout)["dir"] != seen["dir"]  # fresh every time


def test_the_console_script_imports_no_metric_before_the_directory_exists() -> None:
    probe = run("import sys, faceless.cli.entry; print('prometheus_client' in sys.modules)")
    assert probe.returncode == 0, probe.stderr
    assert probe.stdout.strip() == "False"


def test_it_refuses_once_prometheus_client_has_chosen_its_mode() -> None:
    import prometheus_client  # already imported by the test session; its mode is fixed

    assert prometheus_client
    with pytest.raises(MetricsAlreadyImportedError):
        use_private_directory()
