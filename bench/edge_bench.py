"""Edge-defence benchmark: the full service against a bare FastAPI app, in one run.

Starts, on 127.0.0.1 only, one uvicorn process each of: the bare app
(``bench/bare_app.py``), the full service with the in-memory limiter, and the full
service with the Redis limiter (private PostgreSQL and Redis started for the run).
Drives ``GET /health`` and an authenticated ``GET /api/v1/videos`` (20 items) with
wrk, interleaved over several rounds, and prints requests/s, p50 and p99 per
target and the full/bare ratios. Compare ratios, not absolutes: the load
generator shares the machine's cores with the servers.

    .venv/bin/python bench/edge_bench.py [--rounds 3] [--seconds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures import ManagedProcess, PostgresCluster, RedisServer, free_port  # noqa: E402

FACELESS = str(Path(sys.executable).with_name("faceless"))
PASSWORD = "load test password 2026"
# The limiter does its full work on every request; the budgets are just out of reach.
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


@dataclass
class Sample:
    rps: float
    p50_ms: float
    p99_ms: float


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s)", text)
    assert match, text
    return float(match.group(1)) * _UNITS[match.group(2)]


def run_wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> Sample:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} non-2xx answers; the benchmark is invalid")
    return Sample(rps, p50, p99)


def start_full(name: str, env: dict[str, str], workdir: Path) -> tuple[ManagedProcess, str, str]:
    port = free_port()
    process = ManagedProcess(
        # Plain HTTP like the bare app: this compares the defence stack, not TLS.
        [FACELESS, "serve", "--behind-proxy", "--port", str(port)],
        env=env,
        cwd=str(workdir),
        name=name,
    ).start()
    match = process.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=90)
    process.wait_for_port(port, "127.0.0.1", timeout=60)
    return process, f"http://127.0.0.1:{port}", match.group(1)


def prepare_data(
    base: str,
    admin_password: str,
    scripts: Sequence[str] = ("Did you know rivers carve canyons? " * 3,) * 20,
) -> dict[str, str]:
    """An editor ``bench`` with one video per script; returns its bearer header."""
    with httpx.Client(base_url=base, timeout=30) as http:
        admin = http.post(
            "/api/v1/auth/login", json={"username": "admin", "password": admin_password}
        )
        admin.raise_for_status()
        auth = {"Authorization": f"Bearer {admin.json()['access_token']}"}
        http.post(
            "/api/v1/users",
            headers=auth,
            json={"username": "bench", "password": PASSWORD, "role": "editor"},
        ).raise_for_status()
        token = http.post(
            "/api/v1/auth/login", json={"username": "bench", "password": PASSWORD}
        ).json()
        bench = {"Authorization": f"Bearer {token['access_token']}"}
        for i, script in enumerate(scripts):
            http.post(
                "/api/v1/videos",
                headers=bench,
                json={
                    "title": f"Video number {i}",
                    "description": "A description of moderate length for the benchmark.",
                    "script": script,
                    "tags": ["bench", "video"],
                },
            ).raise_for_status()
        listing = http.get("/api/v1/videos", headers=bench).json()
        assert listing["total"] == len(scripts), listing
        return bench


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it)")

    work = Path(tempfile.mkdtemp(prefix="faceless-bench-"))
    processes: list[ManagedProcess] = []
    with PostgresCluster(preload_pgaudit=True) as pg, RedisServer() as redis:
        try:
            pg.create_database("bench_memory")
            pg.create_database("bench_redis")
            common = {"FACELESS_ENV": "development", "RATE_LIMITS": HIGH_LIMITS}
            targets: dict[str, tuple[str, dict[str, str]]] = {}

            bare_port = free_port()
            bare = ManagedProcess(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "bare_app:app",
                    "--port",
                    str(bare_port),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                cwd=str(ROOT / "bench"),
                name="bare",
            ).start()
            processes.append(bare)
            bare.wait_for_port(bare_port, "127.0.0.1", timeout=30)
            targets["bare"] = (f"http://127.0.0.1:{bare_port}", {})

            for name, extra in (
                ("full (memory limiter)", {"DATABASE_URL": pg.dsn("bench_memory")}),
                (
                    "full (redis limiter)",
                    {"DATABASE_URL": pg.dsn("bench_redis"), "REDIS_URL": redis.url(db=1)},
                ),
            ):
                var = work / re.sub(r"\W+", "-", name)
                env = {**common, **extra, "FACELESS_VAR_DIR": str(var)}
                subprocess.run(
                    [FACELESS, "migrate"],
                    env={**os.environ, **env},
                    check=True,
                    capture_output=True,
                )
                process, base, password = start_full(name, env, work)
                processes.append(process)
                targets[name] = (base, prepare_data(base, password))

            results: dict[tuple[str, str], list[Sample]] = {}
            for round_no in range(args.rounds):
                for path in ("/health", "/api/v1/videos"):
                    for name, (base, auth) in targets.items():
                        headers = auth if path != "/health" else {}
                        sample = run_wrk(base + path, headers, args.seconds, args.connections)
                        results.setdefault((name, path), []).append(sample)
                print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            for process in reversed(processes):
                process.stop()
            shutil.rmtree(work, ignore_errors=True)

    def med(samples: list[Sample], field: str) -> float:
        return statistics.median(getattr(s, field) for s in samples)

    columns = f"{'target':<24} {'path':<16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}"
    print(f"\n{columns} {'req/s vs bare':>14}")
    for path in ("/health", "/api/v1/videos"):
        bare_rps = med(results[("bare", path)], "rps")
        for name in targets:
            samples = results[(name, path)]
            ratio = med(samples, "rps") / bare_rps
            rps, p50, p99 = (med(samples, f) for f in ("rps", "p50_ms", "p99_ms"))
            print(f"{name:<24} {path:<16} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {ratio:>13.2f}x")
    for path in ("/health", "/api/v1/videos"):
        memory = results[("full (memory limiter)", path)]
        redis_ = results[("full (redis limiter)", path)]
        redis_cost = med(redis_, "p50_ms") - med(memory, "p50_ms")
        print(f"Redis limiter cost at p50 on {path}: {redis_cost:+.2f} ms (redis - memory)")
    print(
        f"medians of {args.rounds} interleaved rounds, {args.seconds} s each, "
        f"{args.connections} connections, wrk on the same machine"
    )


if __name__ == "__main__":
    main()
