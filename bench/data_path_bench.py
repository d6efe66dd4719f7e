"""Data-path benchmark (issue 11): our authenticated reads and writes next to bare FastAPI.

In one run, on 127.0.0.1 only, with wrk (``-t2 -c32 -d8s`` by default) and the targets
interleaved over rounds (medians printed):

- references, each under ``uvicorn --http httptools --loop uvloop --workers 1
  --no-access-log`` (``bench/references.py``): bare FastAPI returning the exact bodies our
  server returned (fetched once from our PostgreSQL server, parsed once, encoded by
  FastAPI's default encoder, no response model; its POST validates the same body with a
  model of the same fields and answers 201), a raw ASGI app sending those bytes, and the
  seed design reproduced from ``shared/peers/seed_reference``;
- ours, ``faceless serve --behind-proxy`` (one worker, plain HTTP, limits out of reach),
  on PostgreSQL (pgaudit, ``deploy/postgres/postgresql.conf``) + Redis and on the
  embedded default (SQLite, in-memory limiter) (``bench/data_path_setup.py``);
- with ``--baseline REV``, the same two deployments of another revision, side by side.

Scenarios: ``GET /health``, authenticated ``GET /api/v1/videos`` (20 videos) and
``POST /api/v1/videos`` (every answer must be a 2xx: a run with any other fails); with
``--extra`` also the list with 3 KB scripts and with ``limit=100``, ``GET
/api/v1/videos/{id}``, ``GET /api/v1/jobs`` (20 jobs) and a mix of 90 % list reads and
10 % writes. Prints req/s, p50, p99 and the ratios, the idle RSS of every server, and
the run held against issue 11's targets. Compare ratios, not absolutes: wrk shares the
machine's cores with the servers.

Everything listens on 127.0.0.1 only; every wrk run is bounded; every process, the
temporary worktree and the temporary files go when the run ends, fails, or is stopped
(Ctrl-C or SIGTERM).

    .venv/bin/python bench/data_path_bench.py [--rounds 3] [--seconds 8] [--connections 32]
        [--extra] [--baseline REV] [--shared DIR] [--seed-venv DIR] [--pg-fsync off]
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from data_path_report import (  # noqa: E402
    Row,
    print_checks,
    print_memory,
    print_scenario,
    target_checks,
)
from data_path_scenarios import JSON, POST_BODY, SCENARIOS, Scenario, mixed_script  # noqa: E402
from data_path_setup import (  # noqa: E402
    baseline_checkout,
    launch,
    production_cluster,
    production_env,
    rss_mb,
    warm,
)
from our_server import FACELESS  # noqa: E402
from references import seed_python, start_seed, start_uvicorn  # noqa: E402
from wrk_runner import Sample, headers_script, require_wrk, run_wrk  # noqa: E402

from tests.fixtures import ManagedProcess, RedisServer  # noqa: E402


@dataclass
class Target:
    label: str
    kind: str  # "bare" | "raw" | "seed" | "ours"
    base: str
    process: ManagedProcess
    auth: Mapping[str, Mapping[str, str]]  # bearer header by our user name
    video_id: str
    idle_rss_mb: float
    flavour: str | None = None  # "ours" | "baseline" for our servers
    deployment: str | None = None  # "pg" | "embedded" for our servers
    samples: dict[str, list[Sample]] = field(default_factory=dict)


def request_for(target: Target, scenario: Scenario) -> tuple[str, str] | None:
    """The URL and wrk script of ``scenario`` on ``target``; None where it does not apply."""
    paths = {
        "bare": scenario.bare,
        "raw": scenario.bare if scenario.raw else None,
        "seed": scenario.seed,
        "ours": scenario.ours,
    }
    path = paths[target.kind]
    if path is None:
        return None
    path = path.format(video=target.video_id)
    headers = dict(target.auth.get(scenario.who or "", {}))
    if scenario.mixed:
        script = mixed_script(path, headers, target.auth["writer"])
    elif scenario.write:
        script = headers_script({**headers, **JSON}, method="POST", body=POST_BODY)
    else:
        script = headers_script(headers)
    return target.base + path, script


def capture_bodies(server: Target, directory: Path, *, extra: bool) -> None:
    """What our server answered, byte for byte, for the references to send back."""
    directory.mkdir()
    reader = server.auth["reader"]
    gets = {
        "health": ("/health", {}),
        "videos": ("/api/v1/videos", reader),
        "video": (f"/api/v1/videos/{server.video_id}", reader),
    }
    if extra:
        gets["videos-3k"] = ("/api/v1/videos", server.auth["reader3k"])
        gets["videos-100"] = ("/api/v1/videos?limit=100", server.auth["reader100"])
        gets["jobs"] = ("/api/v1/jobs", reader)
    with httpx.Client(base_url=server.base, timeout=60) as http:
        answers = {name: http.get(path, headers=auth) for name, (path, auth) in gets.items()}
        answers["created"] = http.post(
            "/api/v1/videos", headers={**server.auth["writer"], **JSON}, content=POST_BODY
        )
    for name, answer in answers.items():
        if answer.status_code != (201 if name == "created" else 200):
            raise RuntimeError(f"{answer.request.url}: {answer.status_code} {answer.text}")
        (directory / f"{name}.json").write_bytes(answer.content)


def start_ours(stack: contextlib.ExitStack, args: argparse.Namespace, work: Path) -> list[Target]:
    """Our two deployments, and the baseline's with ``--baseline``; stopped by ``stack``."""
    flavours = [("ours", [FACELESS])]
    if args.baseline:
        flavours.append(("baseline", stack.enter_context(baseline_checkout(args.baseline, work))))
    pg = stack.enter_context(production_cluster(fsync=args.pg_fsync == "on"))
    redis = stack.enter_context(RedisServer())
    targets = []
    for index, (flavour, command) in enumerate(flavours):
        name = "ours" if flavour == "ours" else f"baseline {args.baseline}"
        deployments = (
            ("pg", f"{name}, PostgreSQL + Redis"),
            ("embedded", f"{name}, embedded (SQLite)"),
        )
        for deployment, label in deployments:
            env = {}
            if deployment == "pg":
                env = production_env(pg, f"bench_{index}", redis.url(db=index + 1))
            print(f"starting {label}", file=sys.stderr)
            server = launch(label, command, env, work, extra=args.extra)
            stack.callback(server.process.close)
            targets.append(
                Target(
                    label,
                    "ours",
                    server.base,
                    server.process,
                    server.auth,
                    server.video_id,
                    server.idle_rss_mb,
                    flavour,
                    deployment,
                )
            )
    return targets


def _warm_rss(process: ManagedProcess, base: str, paths: Sequence[str]) -> float:
    warm(base, paths)
    return rss_mb(process.pid)


def start_references(
    stack: contextlib.ExitStack, args: argparse.Namespace, work: Path, ours: Target
) -> list[Target]:
    """bare FastAPI and raw ASGI with the bodies ``ours`` answered, and the seed design."""
    python = seed_python(work, args.seed_venv)
    bodies = work / "bodies"
    capture_bodies(ours, bodies, extra=args.extra)
    targets = []
    for kind, label, app in (
        ("bare", "bare FastAPI (same bodies)", "bare_app:app"),
        ("raw", "raw ASGI (same bytes)", "raw_app:app"),
    ):
        process, base = start_uvicorn(kind, app, env={"BENCH_BODIES_DIR": str(bodies)})
        stack.callback(process.close)
        idle = _warm_rss(process, base, ("/health", "/api/v1/videos"))
        targets.append(Target(label, kind, base, process, ours.auth, ours.video_id, idle))
    process, base, token = start_seed(args.shared, python)
    stack.callback(process.close)
    idle = _warm_rss(process, base, ("/health",))
    targets.append(Target("seed design", "seed", base, process, {"reader": token}, "", idle))
    return targets


def measure(
    targets: Sequence[Target], scenarios: Sequence[Scenario], args: argparse.Namespace
) -> None:
    """Every scenario on every target it applies to, round after round, in alternating order."""
    for round_no in range(args.rounds):
        order = targets if round_no % 2 == 0 else targets[::-1]
        for scenario in scenarios:
            for target in order:
                request = request_for(target, scenario)
                if request is None:
                    continue
                url, script = request
                sample = run_wrk(
                    url, seconds=args.seconds, connections=args.connections, script=script
                )
                target.samples.setdefault(scenario.key, []).append(sample)
                print(
                    f"round {round_no + 1}/{args.rounds} {scenario.key:<9} {target.label:<40}"
                    f" {sample.rps:>8.0f} req/s  p99 {sample.p99_ms:.1f} ms",
                    file=sys.stderr,
                )


def report(
    targets: Sequence[Target],
    scenarios: Sequence[Scenario],
    args: argparse.Namespace,
    after: Mapping[str, float],
) -> None:
    revision = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    print(
        f"\nData path: ours is {revision or 'this checkout'}; medians of {args.rounds} "
        f"interleaved rounds of wrk -t2 -c{args.connections} -d{args.seconds}s, PostgreSQL "
        f"fsync {args.pg_fsync}; wrk shares the machine's cores with the servers"
    )
    by_scenario = {}
    for scenario in scenarios:
        rows = [
            Row(t.label, t.kind, t.flavour, t.deployment, t.samples[scenario.key])
            for t in targets
            if scenario.key in t.samples
        ]
        by_scenario[scenario.key] = rows
        print_scenario(scenario.title, rows)
    idle = {t.label: t.idle_rss_mb for t in targets}
    print_memory(idle, after)
    extras = [s.key for s in scenarios if s.extra]
    print_checks(target_checks(by_scenario, idle, extras))


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the ExitStack stops every process on the way out


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--extra", action="store_true", help="also the extra scenarios")
    parser.add_argument("--baseline", metavar="REV", help="also this revision's server")
    parser.add_argument(
        "--shared",
        type=Path,
        default=ROOT.parent / "shared",
        help="the folder holding peers/seed_reference (default: beside the checkout)",
    )
    parser.add_argument(
        "--seed-venv", type=Path, help="keep the seed's virtualenv here and reuse it"
    )
    parser.add_argument(
        "--pg-fsync",
        choices=("on", "off"),
        default="on",
        help="on: PostgreSQL's data on disk with fsync, as in production",
    )
    args = parser.parse_args()
    if min(args.rounds, args.seconds, args.connections) < 1:
        parser.error("--rounds, --seconds and --connections must be positive")
    return args


def main() -> None:
    args = parse_args()
    require_wrk()
    signal.signal(signal.SIGTERM, _interrupted)
    scenarios = [s for s in SCENARIOS if args.extra or not s.extra]
    with contextlib.ExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="faceless-datapath-"))
        stack.callback(shutil.rmtree, work, ignore_errors=True)
        ours = start_ours(stack, args, work)
        targets = [*start_references(stack, args, work, ours[0]), *ours]
        measure(targets, scenarios, args)
        after = {t.label: rss_mb(t.process.pid) for t in targets}
    report(targets, scenarios, args, after)


if __name__ == "__main__":
    main()
