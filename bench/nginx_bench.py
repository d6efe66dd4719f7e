"""nginx benchmark: HTTPS through the project's nginx next to the app's own listeners.

Targets, in one run, each on 127.0.0.1 (development mode, own var dir):

- ``app plain HTTP``: ``faceless serve --behind-proxy``, what nginx talks to;
- ``app HTTPS (ECDSA)``: the app terminating TLS itself (our SSLContext, P-256 leaf);
- ``nginx HTTPS -> app``: the rendered ``faceless nginx-config`` (Mozilla intermediate,
  HTTP/1.1 keep-alive to the upstream) in front of the plain-HTTP app above;
- ``nginx HTTPS -> 2 apps`` with ``--two-upstreams``: a second plain app behind it.

It reuses ``bench/tls_bench.py`` (its wrk runner, handshake loop and table), adding
nginx as one more target: requests/s, p50 and p99 of keep-alive ``GET /health`` with
wrk, interleaved over rounds (medians shown), and new TLS 1.3 handshakes per second
with their p99. Compare ratios, not absolutes: wrk, nginx and the app share the cores.

    .venv/bin/python bench/nginx_bench.py [--rounds 2] [--seconds 5] [--connections 16]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tls_bench import (  # noqa: E402
    Target,
    add_common_args,
    measure_targets,
    print_table,
    start_app,
)

from faceless.security.tls.certs import CertPaths, generate  # noqa: E402
from faceless.settings import HttpSettings, Settings  # noqa: E402
from tests.fixtures import ManagedProcess, free_port  # noqa: E402
from tests.nginx.server import NginxServer, public_temp_dir  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_args(parser)
    parser.add_argument(
        "--two-upstreams", action="store_true", help="add nginx in front of two app processes"
    )
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists():
            raise SystemExit(f"{tool} is not installed: apt-get install {tool}")

    # nginx's workers must reach their temp dir when it starts as root (user nobody).
    work = public_temp_dir("faceless-nginx-bench-")
    # The apps believe X-Forwarded-* from nginx, as in production.
    os.environ["TRUSTED_PROXIES"] = "127.0.0.1"
    processes: list[ManagedProcess] = []
    nginxes: list[NginxServer] = []
    targets: list[Target] = []
    try:
        plain_ports = [free_port() for _ in range(2 if args.two_upstreams else 1)]
        for index, port in enumerate(plain_ports):
            name = "app plain HTTP" if index == 0 else f"app plain HTTP {index + 1}"
            processes.append(start_app(name, work, ["--behind-proxy"], port))
        https_port = free_port()
        direct = start_app("app HTTPS (ECDSA)", work, ["--redirect-port", "0"], https_port)
        processes.append(direct)
        for process, port in zip(processes, [*plain_ports, https_port], strict=True):
            process.wait_for_port(port, timeout=120)

        certs = CertPaths(work / "nginx-tls")
        generate(certs)
        targets.append(Target("app plain HTTP", f"http://127.0.0.1:{plain_ports[0]}/health"))
        targets.append(
            Target(
                "app HTTPS (ECDSA)",
                f"https://127.0.0.1:{https_port}/health",
                https_port,
                direct.log_dir / "tls" / "ca.pem",
            )
        )
        shapes = [("nginx HTTPS -> app", plain_ports[:1])]
        if args.two_upstreams:
            shapes.append(("nginx HTTPS -> 2 apps", plain_ports))
        for name, upstreams in shapes:
            directory = work / f"nginx-{len(nginxes)}"
            directory.mkdir()
            directory.chmod(0o755)
            server = NginxServer(
                settings=Settings(http=HttpSettings(public_url="https://localhost:8443")),
                directory=directory,
                cert=certs.cert,
                key=certs.key,
                upstreams=[f"127.0.0.1:{port}" for port in upstreams],
                access_log="off",
            ).start()
            nginxes.append(server)
            targets.append(
                Target(
                    name,
                    f"https://127.0.0.1:{server.https_port}/health",
                    server.https_port,
                    certs.ca_cert,
                )
            )

        measure_targets(targets, args)
    finally:
        for server in nginxes:
            server.stop()
        for process in reversed(processes):
            process.close()
        shutil.rmtree(work, ignore_errors=True)
    print_table(targets, args, "one app process per target (nginx: worker_processes auto)")


if __name__ == "__main__":
    main()
