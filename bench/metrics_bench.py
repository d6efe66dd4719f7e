"""Request-metrics benchmark: the service with its request metrics on vs bypassed, one run.

Starts, on 127.0.0.1 only, the bare FastAPI app (``bench/bare_app.py``) and two copies of
the embedded default (SQLite, in-memory limiter, one worker), both through
``bench/metrics_bootstrap.py`` in multiprocess mode (as every ``faceless`` process runs):
``on`` is the unchanged service, ``bypassed`` the same code with the request metrics
layer replaced by a pass-through. wrk drives ``GET /health`` and an authenticated
``GET /api/v1/videos`` (20 items) at the three, interleaved over several rounds. Prints
requests/s, p50 and p99 per target, the ratio to bare and the cost of the metrics
(``on`` vs ``bypassed``). Compare ratios, not absolutes: wrk shares the machine.

    .venv/bin/python bench/metrics_bench.py [--rounds 3] [--seconds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from edge_bench import HIGH_LIMITS, Sample, prepare_data, run_wrk

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fixtures import ManagedProcess, free_port  # noqa: E402

BOOTSTRAP = str(Path(__file__).with_name("metrics_bootstrap.py"))
VARIANTS = ("on", "bypassed")
PATHS = ("/health", "/api/v1/videos")


def start(variant: str, work: Path) -> tuple[ManagedProcess, str, str]:
    """One copy of the embedded default; it migrates its own SQLite file on start."""
    port = free_port()
    env: dict[str, str | None] = {
        "FACELESS_ENV": "development",
        "RATE_LIMITS": HIGH_LIMITS,
        "FACELESS_VAR_DIR": str(work / variant),
        "DATABASE_URL": None,
        "REDIS_URL": None,
    }
    process = ManagedProcess(
        [sys.executable, BOOTSTRAP, variant, "serve", "--behind-proxy", "--port", str(port)],
        env=env,
        cwd=str(work),
        name=f"metrics-{variant}",
    ).start()
    match = process.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=120)
    process.wait_for_port(port, "127.0.0.1", timeout=60)
    return process, f"http://127.0.0.1:{port}", match.group(1)


def start_bare() -> tuple[ManagedProcess, str]:
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "bare_app:app", "--port", str(port)]
    bare = ManagedProcess(
        [*argv, "--no-access-log", "--log-level", "warning"], cwd=str(ROOT / "bench"), name="bare"
    ).start()
    bare.wait_for_port(port, "127.0.0.1", timeout=30)
    return bare, f"http://127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (make bench does it)")
    work = Path(tempfile.mkdtemp(prefix="faceless-metrics-bench-"))
    processes: list[ManagedProcess] = []
    results: dict[tuple[str, str], list[Sample]] = {}
    try:
        bare, bare_url = start_bare()
        processes.append(bare)
        targets: dict[str, tuple[str, dict[str, str]]] = {"bare": (bare_url, {})}
        for variant in VARIANTS:
            process, base, password = start(variant, work)
            processes.append(process)
            targets[f"metrics {variant}"] = (base, prepare_data(base, password))
        for round_no in range(args.rounds):
            for path in PATHS:
                for name, (base, auth) in targets.items():
                    headers = auth if path != "/health" else {}
                    sample = run_wrk(base + path, headers, args.seconds, args.connections)
                    results.setdefault((name, path), []).append(sample)
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
    finally:
        for process in reversed(processes):
            process.close()
        shutil.rmtree(work, ignore_errors=True)
    report(results, list(targets))


def report(results: dict[tuple[str, str], list[Sample]], names: list[str]) -> None:
    def med(key: tuple[str, str], field: str) -> float:
        return statistics.median(getattr(s, field) for s in results[key])

    print(f"\n{'target':<18} {'path':<16} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs bare':>8}")
    for path in PATHS:
        bare_rps = med(("bare", path), "rps")
        for name in names:
            rps, p50, p99 = (med((name, path), f) for f in ("rps", "p50_ms", "p99_ms"))
            print(
                f"{name:<18} {path:<16} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {rps / bare_rps:>7.2f}x"
            )
    for path in PATHS:
        on, off = med(("metrics on", path), "rps"), med(("metrics bypassed", path), "rps")
        cost = 1e6 / on - 1e6 / off  # microseconds of server time per request, at this load
        print(f"request metrics on {path}: {on / off:.3f}x the bypassed throughput "
              f"({cost:+.1f} us per request)")  # fmt: skip


if __name__ == "__main__":
    main()
