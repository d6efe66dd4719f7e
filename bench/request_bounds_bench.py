"""Request-bounds benchmark: what the bounded protocol costs and what it saves, in one run.

API processes on 127.0.0.1 (``bench/bounds_server.py``), identical but for uvicorn's
``http`` protocol: uvicorn's own httptools protocol (no bounds),
``faceless.security.http_bounds.BoundedHttp`` (the defaults: 16 KiB heads, 30 s head and
body timers, 1000 connections) and, with ``--with-h11``, uvicorn's h11 protocol with its
16 KiB incomplete-event limit. Plain HTTP, so TLS does not hide the protocol's share.

- keep-alive ``GET /health`` with wrk, interleaved over rounds (medians): req/s, p50, p99,
  and the server's CPU time per request (utime + stime over the run / requests), which a
  busy machine disturbs far less than throughput;
- keep-alive ``GET /health`` with a 12 KiB header (allowed, near the limit);
- one request carrying a ``--big-header-mb`` header: seconds until the answer or the
  close, the server's CPU seconds for it (utime + stime from /proc) and the growth of
  its resident-memory peak (VmHWM);
- the protocol alone, in this process on uvloop: keep-alive ``GET /health`` heads fed to
  one connection of each protocol in turn, a constant ASGI answer and a transport that
  only counts bytes, so the difference per request is what the bounds cost, whatever
  the app and the network cost.

    .venv/bin/python bench/request_bounds_bench.py [--rounds 3] [--seconds 5]
        [--connections 16] [--big-header-mb 100]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
import uvloop
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from edge_bench import Sample, run_wrk  # noqa: E402

from faceless.security.http_bounds import BoundedHttp, RequestBounds  # noqa: E402
from tests.fixtures import ManagedProcess, free_port  # noqa: E402

SERVER = str(ROOT / "bench" / "bounds_server.py")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Target:
    name: str
    process: ManagedProcess
    port: int
    samples: dict[str, list[Sample]] = field(default_factory=dict)
    cpu_us: dict[str, list[float]] = field(default_factory=dict)  # per request
    big: tuple[str, float, float, float] | None = None  # answer, seconds, cpu s, MiB


def start(name: str, work: Path, *extra: str) -> Target:
    home = work / name.split()[0]
    port = free_port()
    env: dict[str, str | None] = {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(home),
        "DATABASE_URL": f"sqlite+aiosqlite:///{home}/bench.db",
        "PUBLIC_URL": f"https://localhost:{port}",
        "REDIS_URL": None,
    }
    argv = [sys.executable, SERVER, "--port", str(port), *extra]
    process = ManagedProcess(argv, env=env, name=name.split()[0], log_dir=work).start()
    return Target(name, process, port)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def _peak_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def big_header(target: Target, megabytes: int) -> tuple[str, float, float, float]:
    """Send one request with a ``megabytes`` MB header; what it cost the server."""
    pid = target.process.pid
    assert pid is not None
    cpu, peak = _cpu_seconds(pid), _peak_mib(pid)
    head = b"GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: "
    chunk = b"a" * (1024 * 1024)
    answer: list[bytes] = []
    with socket.create_connection(("127.0.0.1", target.port), timeout=120) as sock:

        def read() -> None:
            try:
                answer.append(sock.recv(200))
            except OSError as exc:
                answer.append(repr(exc).encode())

        reader = threading.Thread(target=read)
        reader.start()
        began = time.perf_counter()
        try:
            sock.sendall(head)
            for _ in range(megabytes):
                sock.sendall(chunk)
            sock.sendall(b"\r\n\r\n")
        except OSError:
            pass  # refused mid-way: the server closed the connection
        reader.join()
        elapsed = time.perf_counter() - began
    time.sleep(0.5)  # let the server finish its work before reading its counters
    status = answer[0].split(b"\r\n", 1)[0].decode(errors="replace") or "closed"
    return status, elapsed, _cpu_seconds(pid) - cpu, _peak_mib(pid) - peak


class _CountingTransport(asyncio.Transport):
    """Just enough transport for uvicorn's protocol: counts what is written."""

    def __init__(self) -> None:
        super().__init__()
        self.answered = asyncio.Event()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if bytes(data).endswith(b"ok"):
            self.answered.set()

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def _constant(scope: Any, receive: Any, send: Any) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]}
    )
    await send({"type": "http.response.body", "body": b"ok"})


async def _drive(factory: Any, requests: int) -> float:
    """CPU seconds for ``requests`` keep-alive requests through one protocol instance."""
    config = uvicorn.Config(_constant, lifespan="off", log_config=None, access_log=False)
    config.load()
    transport = _CountingTransport()
    protocol = factory(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(transport)
    head = b"GET /health HTTP/1.1\r\nHost: localhost\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n"
    began = time.thread_time()  # CPU time of this thread: what other processes do is not in it
    for _ in range(requests):
        transport.answered.clear()
        protocol.data_received(head)
        await transport.answered.wait()
    elapsed = time.thread_time() - began
    protocol.connection_lost(None)
    return elapsed


def protocol_cost(rounds: int, requests: int) -> dict[str, tuple[float, float]]:
    """Microseconds per request for each protocol: (median, fastest) of interleaved rounds.

    The fastest round is the one least disturbed by whatever else the machine runs.
    """
    factories = {
        "unbounded httptools": HttpToolsProtocol,
        "bounded": BoundedHttp(RequestBounds()),
    }
    times: dict[str, list[float]] = {name: [] for name in factories}
    for _ in range(rounds):
        for name, factory in factories.items():
            elapsed = uvloop.run(_drive(factory, requests))
            times[name].append(elapsed / requests * 1e6)
    return {name: (statistics.median(values), min(values)) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--big-header-mb", type=int, default=100)
    parser.add_argument("--protocol-requests", type=int, default=20_000)
    parser.add_argument("--with-h11", action="store_true", help="add uvicorn's h11 protocol")
    args = parser.parse_args()
    alone = protocol_cost(max(3 * args.rounds, 9), args.protocol_requests)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="faceless-bounds-bench-"))
    targets = [
        start("unbounded httptools", work, "--protocol", "httptools"),
        start("bounded", work, "--protocol", "bounded"),
    ]
    if args.with_h11:
        targets.append(start("h11 16 KiB", work, "--protocol", "h11"))
    loads = {"/health": {}, "/health + 12 KiB header": {"X-Padding": "p" * 12 * 1024}}
    try:
        for target in targets:
            target.process.wait_for_line("listening", timeout=120)
            target.process.wait_for_port(target.port, timeout=120)
        for round_no in range(args.rounds):
            for load, headers in loads.items():
                for target in targets:
                    url = f"http://127.0.0.1:{target.port}/health"
                    pid = target.process.pid
                    assert pid is not None
                    cpu = _cpu_seconds(pid)
                    sample = run_wrk(url, headers, args.seconds, args.connections)
                    used = _cpu_seconds(pid) - cpu
                    target.samples.setdefault(load, []).append(sample)
                    per_request = used / (sample.rps * args.seconds) * 1e6
                    target.cpu_us.setdefault(load, []).append(per_request)
            print(f"round {round_no + 1}/{args.rounds} done", file=sys.stderr)
        for target in targets:
            target.big = big_header(target, args.big_header_mb)
    finally:
        for target in targets:
            target.process.stop()
        shutil.rmtree(work, ignore_errors=True)
    print_table(targets, args, alone)


def print_table(
    targets: list[Target], args: argparse.Namespace, alone: dict[str, tuple[float, float]]
) -> None:
    print(
        f"\n{'target':<20} {'load':<24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6}"
        f" {'cpu us/req':>11}"
    )
    for load in targets[0].samples:
        base = statistics.median(s.rps for s in targets[0].samples[load])
        for target in targets:
            samples = target.samples[load]
            rps = statistics.median(s.rps for s in samples)
            p50 = statistics.median(s.p50_ms for s in samples)
            p99 = statistics.median(s.p99_ms for s in samples)
            cpu = statistics.median(target.cpu_us[load])
            print(
                f"{target.name:<20} {load:<24} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f}"
                f" {rps / base:>5.2f}x {cpu:>11.0f}"
            )
    print(f"\none request with a {args.big_header_mb} MB header:")
    print(f"{'target':<20} {'answer':<44} {'seconds':>8} {'cpu s':>7} {'peak +MiB':>10}")
    for target in targets:
        assert target.big is not None
        status, elapsed, cpu, mib = target.big
        print(f"{target.name:<20} {status:<44} {elapsed:>8.2f} {cpu:>7.2f} {mib:>10.1f}")
    print(f"\nthe protocol alone ({args.protocol_requests} keep-alive requests, uvloop, CPU time):")
    base, base_min = alone["unbounded httptools"]
    for name, (median, fastest) in alone.items():
        print(
            f"{name:<20} median {median:>6.2f} us/request ({median - base:+.2f}),"
            f" fastest round {fastest:>6.2f} ({fastest - base_min:+.2f})"
        )
    print(
        f"\nmedians of {args.rounds} interleaved rounds, {args.seconds} s each, "
        f"{args.connections} connections (wrk -t2); one process each, plain HTTP, "
        "client on the same machine"
    )


if __name__ == "__main__":
    main()
