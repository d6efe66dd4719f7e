"""Column-encryption benchmark: GET /api/v1/videos with encryption on vs bypassed, one run.

Starts, on 127.0.0.1 only, a private PostgreSQL 15 cluster with pgaudit preloaded (as
the migrations require) and two copies of the full service, each with its own database,
both through ``bench/encryption_bootstrap.py``: ``on`` is the unchanged service,
``bypassed`` the same code with the column type and its ORM events replaced by identity
inside that bench process only. Each gets 20 videos with scripts of a few KB written
through its own API (so the bypassed database really holds plaintext: checked), then
wrk drives an authenticated ``GET /api/v1/videos`` (20 items, scripts included) at both,
interleaved over several rounds. Prints requests/s, p50 and p99 per variant and the
ratio to the bypassed build. Compare ratios, not absolutes: wrk shares the machine.

    .venv/bin/python bench/encryption_api_bench.py [--rounds 3] [--seconds 5]
        [--connections 16] [--script-bytes 3000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from our_server import HIGH_LIMITS, script_of, start_full  # noqa: E402
from our_server import prepare_data as seed_videos  # noqa: E402
from wrk_runner import Sample, require_wrk, run_wrk  # noqa: E402

from tests.fixtures import ManagedProcess, PostgresCluster  # noqa: E402

BOOTSTRAP = str(Path(__file__).with_name("encryption_bootstrap.py"))
VARIANTS = ("on", "bypassed")


def start(variant: str, env: dict[str, str], workdir: Path) -> tuple[ManagedProcess, str, str]:
    # The bootstrap script takes faceless's arguments after the variant.
    bootstrap = [sys.executable, BOOTSTRAP, variant]
    return start_full(f"encryption-{variant}", env, workdir, command=bootstrap)


def prepare_data(base: str, admin_password: str, script_bytes: int) -> dict[str, str]:
    scripts = [script_of(i, script_bytes) for i in range(20)]
    bench = seed_videos(base, admin_password, scripts)
    with httpx.Client(base_url=base, timeout=30) as http:
        listing = http.get("/api/v1/videos", headers=bench)
        listing.raise_for_status()
    if {item["script"] for item in listing.json()["items"]} != set(scripts):
        raise SystemExit(f"{base}: the listing does not return the 20 scripts written")
    return bench


def stored_scripts_are_envelopes(pg: PostgresCluster, database: str) -> bool:
    """What the database really holds: True if every script is an AES-GCM envelope."""
    out = pg.psql("SELECT bool_and(script LIKE 'v1:%') FROM videos;", database=database)
    return out.strip() == "t"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--script-bytes", type=int, default=3000)
    args = parser.parse_args()
    require_wrk()

    work = Path(tempfile.mkdtemp(prefix="faceless-encbench-"))
    processes: list[ManagedProcess] = []
    targets: dict[str, tuple[str, dict[str, str]]] = {}
    results: dict[str, list[Sample]] = {variant: [] for variant in VARIANTS}
    with PostgresCluster(preload_pgaudit=True) as pg:
        try:
            for variant in VARIANTS:
                database = f"bench_{variant}"
                pg.create_database(database)
                env = {
                    "FACELESS_ENV": "development",
                    "RATE_LIMITS": HIGH_LIMITS,
                    "DATABASE_URL": pg.dsn(database),
                    "FACELESS_VAR_DIR": str(work / variant),
                }
                subprocess.run(
                    [sys.executable, BOOTSTRAP, variant, "migrate"],
                    env={**os.environ, **env},
                    check=True,
                    capture_output=True,
                )
                process, base, password = start(variant, env, work)
                processes.append(process)
                targets[variant] = (base, prepare_data(base, password, args.script_bytes))
                sealed = stored_scripts_are_envelopes(pg, database)
                if sealed != (variant == "on"):
                    raise SystemExit(f"{variant}: stored scripts sealed={sealed}; bench invalid")
            url = "/api/v1/videos"
            for round_no in range(args.rounds):
                # Alternate which variant goes first, so neither always runs on a warmer box.
                order = VARIANTS if round_no % 2 == 0 else VARIANTS[::-1]
                for variant in order:
                    base, auth = targets[variant]
                    results[variant].append(
                        run_wrk(
                            base + url,
                            headers=auth,
                            seconds=args.seconds,
                            connections=args.connections,
                        )
                    )
                print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            for process in reversed(processes):
                process.close()
            shutil.rmtree(work, ignore_errors=True)

    def med(variant: str, field: str) -> float:
        return statistics.median(getattr(s, field) for s in results[variant])

    bypassed_rps = med("bypassed", "rps")
    print(f"\nGET /api/v1/videos, 20 items, scripts of {args.script_bytes} B each")
    print(
        f"{'variant':<22} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>7}"
        f"   req/s over the rounds"
    )
    for variant, label in (("on", "encryption on"), ("bypassed", "column type bypassed")):
        rps, p50, p99 = (med(variant, f) for f in ("rps", "p50_ms", "p99_ms"))
        spread = sorted(round(s.rps) for s in results[variant])
        print(
            f"{label:<22} {rps:>7.0f} {p50:>8.2f} {p99:>8.2f} {rps / bypassed_rps:>6.2f}x"
            f"   {spread}"
        )
    # One saturated server process: 1/throughput is its time per request.
    extra_us = (1 / med("on", "rps") - 1 / bypassed_rps) * 1e6
    p50_ms = med("on", "p50_ms") - med("bypassed", "p50_ms")
    print(
        f"encryption cost: {extra_us:+.0f} µs of server time per request "
        f"({extra_us / 20:+.1f} µs per row opened), {p50_ms:+.2f} ms at p50"
    )
    print(
        f"medians of {args.rounds} interleaved rounds, {args.seconds} s each, "
        f"{args.connections} connections, wrk on the same machine"
    )


if __name__ == "__main__":
    main()
