"""The MDN Observatory engine, run once for many targets (``observatory_batch.mjs``).

Node reads ``NODE_EXTRA_CA_CERTS`` once at start, so the CAs of every target go into one
bundle: each CA signs only its own instance's leaf, so trusting all of them verifies
nothing that one of them alone would not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.security.observatory import INSTALL_HINT, PACKAGE, ROOT

DRIVER = Path(__file__).with_name("observatory_batch.mjs")


@dataclass(frozen=True)
class EngineTarget:
    host: str
    https_port: int
    http_port: int
    path: str


@dataclass(frozen=True)
class EngineResult:
    score: int
    grade: str
    tests: dict[str, dict[str, Any]]


def run_engine(
    targets: list[EngineTarget], ca_files: list[Path], bundle: Path, *, processes: int = 1
) -> list[EngineResult | str]:
    """Grade every target; ``processes`` engines share the list (retrieval mostly waits)."""
    node = shutil.which("node")
    if node is None or not PACKAGE.is_dir():
        pytest.fail(f"node and {PACKAGE} are needed: `{INSTALL_HINT}`")
    bundle.write_text("".join(sorted({ca.read_text() for ca in ca_files})))
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.lower().endswith("_proxy") and not key.startswith(("NODE_", "npm_"))
    }
    # The engine gives up on a request after 10 s and then grades what it has: a TLS 1.0
    # relay slowed down by a loaded machine was once graded as having no HTTPS at all.
    # The targets here are all local and reachable, so waiting longer only removes that.
    env |= {
        "NODE_EXTRA_CA_CERTS": str(bundle),
        "NO_PROXY": "*",
        "ABORT_TIMEOUT": "60000",
        "CLIENT_TIMEOUT": "55000",
    }
    shares = [targets[i::processes] for i in range(processes)]
    running = [
        subprocess.Popen(
            [node, str(DRIVER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for _ in shares
    ]
    outputs = []
    for process, share in zip(running, shares, strict=True):
        payload = [
            {"host": t.host, "httpsPort": t.https_port, "httpPort": t.http_port, "path": t.path}
            for t in share
        ]
        stdout, stderr = process.communicate(json.dumps(payload), timeout=300)
        assert process.returncode == 0, stderr
        outputs.append([_result(raw) for raw in json.loads(stdout)])
    # Put the shares back in the order of ``targets``.
    return [outputs[i % processes][i // processes] for i in range(len(targets))]


def _result(raw: dict[str, Any]) -> EngineResult | str:
    if "error" in raw:
        return str(raw["error"])
    return EngineResult(raw["scan"]["score"], raw["scan"]["grade"], raw["tests"])
