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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from our_server import FACELESS, HIGH_LIMITS, prepare_data, start_full  # noqa: E402
from references import start_uvicorn  # noqa: E402
from wrk_runner import Sample, require_wrk, run_wrk  # noqa: E402

from tests.fixtures import ManagedProcess, PostgresCluster, RedisServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    require_wrk()

    work = Path(tempfile.mkdtemp(prefix="faceless-bench-"))
    processes: list[ManagedProcess] = []
    with PostgresCluster(preload_pgaudit=True) as pg, RedisServer() as redis:
        try:
            pg.create_database("bench_memory")
            pg.create_database("bench_redis")
            common = {"FACELESS_ENV": "development", "RATE_LIMITS": HIGH_LIMITS}
            targets: dict[str, tuple[str, dict[str, str]]] = {}

            bare, bare_base = start_uvicorn("bare", "bare_app:app")
            processes.append(bare)
            targets["bare"] = (bare_base, {})

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
                        sample = run_wrk(
                            base + path,
                            headers=headers,
                            seconds=args.seconds,
                            connections=args.connections,
                        )
                        results.setdefault((name, path), []).append(sample)
                print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            for process in reversed(processes):
                process.close()
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
