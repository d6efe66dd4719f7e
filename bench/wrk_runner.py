"""wrk, the load generator of every HTTP benchmark here: one run, parsed into a Sample.

Request headers and bodies reach wrk through a Lua script in a private temp file, never
through its argv: bearer tokens are secrets and argv is readable by every local user in
/proc. A run with any non-2xx answer or any socket error (a timeout included) raises, since
its figures would describe a different workload; ``--timeout`` is generous so a slow
answer is measured rather than dropped from the latency distribution.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it)")


def lua_string(text: str) -> str:
    """``text`` as a Lua expression: a long-bracket literal (no escapes), in parentheses.

    The parentheses keep it an expression wherever it lands: ``t[[[x]]]`` would parse as a
    call, ``t[([[x]])]`` is an index.
    """
    level = 0
    while f"]{'=' * level}]" in text:
        level += 1
    eq = "=" * level
    # Lua drops a newline right after the opening bracket: give it one to drop.
    lead = "\n" if text.startswith(("\n", "\r")) else ""
    return f"([{eq}[{lead}{text}]{eq}])"


def headers_script(
    headers: Mapping[str, str], *, method: str = "GET", body: str | None = None
) -> str:
    """A wrk script sending one fixed request: wrk builds it once, the cheapest for wrk."""
    lines = [f"wrk.method = {lua_string(method)}"]
    if body is not None:
        lines.append(f"wrk.body = {lua_string(body)}")
    lines += [
        f"wrk.headers[{lua_string(name)}] = {lua_string(value)}" for name, value in headers.items()
    ]
    return "\n".join(lines) + "\n"


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    assert match, text
    return float(match.group(1)) * _UNITS[match.group(2)]


def _parse(url: str, out: str) -> Sample:
    failure = re.search(r"Non-2xx or 3xx responses: \d+|Socket errors: .*", out)
    if failure:
        raise RuntimeError(f"{url}: {failure.group(0)}; the benchmark is invalid")
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE)
    if not (rps and p50 and p99):
        raise RuntimeError(f"{url}: unexpected wrk output:\n{out}")
    return Sample(float(rps.group(1)), _ms(p50.group(1)), _ms(p99.group(1)))


def run_wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    headers: Mapping[str, str] | None = None,
    script: str | None = None,
    threads: int = 2,
) -> Sample:
    """Load ``url`` for ``seconds``; ``script`` (Lua source) overrides ``headers``."""
    source = script if script is not None else headers_script(headers or {})
    with tempfile.TemporaryDirectory(prefix="faceless-wrk-") as private:  # 0700
        path = Path(private) / "request.lua"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(source)
        argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
        argv += [f"--timeout={TIMEOUT_SECONDS}s", "-s", str(path), url]
        # run() kills wrk on any exception, Ctrl-C included; the timeout bounds a hung wrk.
        done = subprocess.run(
            argv, capture_output=True, text=True, check=True, timeout=seconds + 60
        )
    return _parse(url, done.stdout)
