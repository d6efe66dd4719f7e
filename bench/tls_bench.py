"""TLS benchmark: what HTTPS costs the app, in one run.

Targets, each a real ``faceless serve`` on 127.0.0.1 (development mode, own var dir):

- ``app plain HTTP``: ``--behind-proxy``, i.e. what a TLS-terminating proxy talks to;
- ``app HTTPS (ECDSA)``: the default shape, our SSLContext and a P-256 leaf;
- ``app HTTPS (RSA-2048)`` with ``--with-rsa``: the same with ``certs generate --rsa``.

For each: requests/s, p50 and p99 of keep-alive ``GET /health`` with wrk (which does
TLS itself), interleaved over rounds (medians shown); and for TLS targets, new
handshakes per second: ``--handshake-threads`` client threads opening fresh, verified
TLS 1.3 connections for ``--handshake-seconds`` (no session resumption: the server
issues no tickets), with the p99 handshake time. Compare ratios, not absolutes: the
load generator shares the machine's cores with the server.

Another target (nginx in front, say) is one more :class:`Target` in ``main()``: a
name, a URL for wrk and, for TLS, a port and a CA file for the handshake loop.

    .venv/bin/python bench/tls_bench.py [--rounds 2] [--seconds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import ssl
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import wrk_runner  # noqa: E402

from faceless.security.tls.certs import CertPaths, KeyType, generate  # noqa: E402
from tests.fixtures import ManagedProcess, free_port  # noqa: E402

FACELESS = str(Path(sys.executable).with_name("faceless"))


@dataclass
class Target:
    name: str
    url: str  # what wrk loads (keep-alive)
    tls_port: int | None = None  # 127.0.0.1 port for the handshake loop
    ca_file: Path | None = None
    samples: list[tuple[float, float, float]] = field(default_factory=list)
    handshakes: tuple[float, float] | None = None  # per second, p99 ms


def run_wrk(url: str, seconds: int, connections: int) -> tuple[float, float, float]:
    sample = wrk_runner.run_wrk(url, seconds=seconds, connections=connections)
    return sample.rps, sample.p50_ms, sample.p99_ms


def measure_handshakes(
    port: int, ca_file: Path, seconds: float, threads: int
) -> tuple[float, float]:
    """New, verified TLS 1.3 handshakes per second and their p99 in ms."""
    ctx = ssl.create_default_context(cafile=str(ca_file))
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    durations: list[list[float]] = [[] for _ in range(threads)]
    stop_at = time.perf_counter() + seconds

    def loop(out: list[float]) -> None:
        while (started := time.perf_counter()) < stop_at:
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                ctx.wrap_socket(raw, server_hostname="localhost"),
            ):
                out.append(time.perf_counter() - started)

    workers = [threading.Thread(target=loop, args=(d,)) for d in durations]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    all_ms = sorted(d * 1000 for chunk in durations for d in chunk)
    p99 = all_ms[min(len(all_ms) - 1, int(len(all_ms) * 0.99))]
    return len(all_ms) / elapsed, p99


def start_app(
    name: str, work: Path, args: list[str], port: int, *, rsa: bool = False
) -> ManagedProcess:
    var = work / re.sub(r"\W+", "-", name).strip("-")
    if rsa:
        generate(CertPaths(var / "tls"), key_type=KeyType.RSA)
    env: dict[str, str | None] = {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite+aiosqlite:///{var}/bench.db",
        "PUBLIC_URL": f"https://localhost:{port}",
        "REDIS_URL": None,
        "TLS_CERT_FILE": None,
        "TLS_KEY_FILE": None,
    }
    return ManagedProcess(
        [FACELESS, "serve", "--port", str(port), *args], env=env, name=name, log_dir=var
    ).start()


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """The load options every benchmark here shares (bench/nginx_bench.py too)."""
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--handshake-seconds", type=float, default=3.0)
    parser.add_argument("--handshake-threads", type=int, default=4)


def measure_targets(targets: list[Target], args: argparse.Namespace) -> None:
    """wrk over interleaved rounds, then the handshake loop for each TLS target."""
    for round_no in range(args.rounds):
        for target in targets:
            target.samples.append(run_wrk(target.url, args.seconds, args.connections))
        print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
    for target in targets:
        if target.tls_port is not None and target.ca_file is not None:
            target.handshakes = measure_handshakes(
                target.tls_port, target.ca_file, args.handshake_seconds, args.handshake_threads
            )


def print_table(targets: list[Target], args: argparse.Namespace, processes: str) -> None:
    """Medians per target against the first one; ``processes`` describes the servers."""
    base_rps = statistics.median(s[0] for s in targets[0].samples)
    print(
        f"\n{'target':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs plain':>9}"
        f" {'handshakes/s':>13} {'hs p99 ms':>10}"
    )
    for target in targets:
        rps, p50, p99 = (statistics.median(s[i] for s in target.samples) for i in range(3))
        hs = f"{'-':>13} {'-':>10}"
        if target.handshakes:
            hs = f"{target.handshakes[0]:>13.0f} {target.handshakes[1]:>10.2f}"
        ratio = rps / base_rps
        print(f"{target.name:<22} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {ratio:>8.2f}x {hs}")
    print(
        f"\nGET /health keep-alive: medians of {args.rounds} interleaved rounds, {args.seconds} s "
        f"each, {args.connections} connections (wrk -t2); handshakes: {args.handshake_threads} "
        f"client threads, fresh TLS 1.3 connections, {args.handshake_seconds:g} s; {processes}, "
        "client on the same machine"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(parser)
    parser.add_argument("--with-rsa", action="store_true", help="add an RSA-2048 HTTPS target")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")

    work = Path(tempfile.mkdtemp(prefix="faceless-tls-bench-"))
    os.chmod(work, 0o700)
    processes: list[ManagedProcess] = []
    targets: list[Target] = []
    try:
        specs = [
            ("app plain HTTP", ["--behind-proxy"], False),
            ("app HTTPS (ECDSA)", ["--redirect-port", "0"], False),
        ]
        if args.with_rsa:
            specs.append(("app HTTPS (RSA-2048)", ["--redirect-port", "0"], True))
        ports = []
        for name, extra, rsa in specs:
            port = free_port()
            process = start_app(name, work, extra, port, rsa=rsa)
            processes.append(process)
            ports.append(port)
            if "--behind-proxy" in extra:
                targets.append(Target(name, f"http://127.0.0.1:{port}/health"))
            else:
                ca = process.log_dir / "tls" / "ca.pem"
                targets.append(Target(name, f"https://127.0.0.1:{port}/health", port, ca))
        for process, port in zip(processes, ports, strict=True):
            process.wait_for_port(port, timeout=120)

        measure_targets(targets, args)
    finally:
        for process in reversed(processes):
            process.close()
        shutil.rmtree(work, ignore_errors=True)

    print_table(targets, args, "one server process each")


if __name__ == "__main__":
    main()
