"""Run the MDN HTTP Observatory engine (npm ``@mdn/mdn-http-observatory``) locally.

The package is pinned in the repository's ``package.json``/``package-lock.json`` and
installed by ``make test`` (``npm ci --ignore-scripts``: its install scripts download
data from the internet). ``observatory_scan.mjs`` drives it for a custom port and path,
with the development CA trusted through ``NODE_EXTRA_CA_CERTS``. Loopback only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("observatory_scan.mjs")
PACKAGE = ROOT / "node_modules" / "@mdn" / "mdn-http-observatory"
INSTALL_HINT = "npm ci --ignore-scripts --no-audit --no-fund"


@dataclass(frozen=True)
class ObservatoryResult:
    grade: str
    score: int
    tests: dict[str, dict[str, Any]]
    raw: dict[str, Any]

    def failed(self) -> dict[str, str]:
        return {name: t["result"] for name, t in self.tests.items() if not t["pass"]}


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed (the machine's Node.js 20+ is needed)")
    if not PACKAGE.is_dir():
        raise RuntimeError(f"{PACKAGE} is missing: run `{INSTALL_HINT}` in {ROOT}")
    return node


def start_scan(
    *, host: str, https_port: int, http_port: int, path: str, ca_file: Path
) -> subprocess.Popen[str]:
    """Start one scan (scans of several paths can run side by side)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and not key.startswith(("NODE_", "npm_"))
    }
    env["NODE_EXTRA_CA_CERTS"] = str(ca_file)
    env["NO_PROXY"] = "*"
    return subprocess.Popen(
        [_node(), str(DRIVER), host, str(https_port), str(http_port), path],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_scan(process: subprocess.Popen[str], timeout: float = 90) -> ObservatoryResult:
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    if process.returncode != 0:
        raise RuntimeError(f"observatory scan failed ({process.returncode}): {stdout}{stderr}")
    raw: dict[str, Any] = json.loads(stdout)
    return ObservatoryResult(raw["scan"]["grade"], raw["scan"]["score"], raw["tests"], raw)


def scan_paths(
    paths: list[str], *, host: str, https_port: int, http_port: int, ca_file: Path
) -> dict[str, ObservatoryResult]:
    processes = {
        path: start_scan(
            host=host, https_port=https_port, http_port=http_port, path=path, ca_file=ca_file
        )
        for path in paths
    }
    return {path: finish_scan(process) for path, process in processes.items()}
