"""A real ``faceless serve --workers 2``: one scrape sums both workers, every metric the
dashboard and the alert rules use is exported, and the metrics directory goes on exit.

HTTPS with the generated development certificate (so the certificate gauge exists),
SQLite, Redis for the queue and the limits: the production shape of several workers.
Requests open a new connection each, so the kernel hands them to both workers; which
worker answers a scrape is left to chance, and every scrape must show the same sum.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from prometheus_client.multiprocess import MultiProcessCollector

from tests.fixtures import ManagedProcess, RedisServer, free_port
from tests.health.scrape import names, samples, value

pytestmark = [pytest.mark.redis, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
FACELESS = str(Path(sys.executable).with_name("faceless"))
REDIS_DB = 13
HEALTH = {"method": "GET", "route": "/health", "status": "200"}


@dataclass
class Served:
    process: ManagedProcess
    url: str
    ca: Path
    metrics_dir: Path

    def client(self) -> httpx.AsyncClient:
        # No keep-alive: each request is a new connection, for whichever worker accepts it.
        limits = httpx.Limits(max_keepalive_connections=0)
        trust = ssl.create_default_context(cafile=self.ca)
        return httpx.AsyncClient(base_url=self.url, verify=trust, limits=limits)


def _metrics_dir(pid: int) -> Path:
    """The directory the server's workers write to, read from a worker's environment.

    (The supervisor set the variable after it started, which its own /proc entry does
    not show; the workers it spawned were started with it.)
    """
    for _ in range(600):  # bounded: the workers appear within a minute on a busy machine
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        for child in children:
            for entry in Path(f"/proc/{child}/environ").read_bytes().split(b"\0"):
                name, _, found = entry.partition(b"=")
                if name == b"PROMETHEUS_MULTIPROC_DIR":
                    return Path(found.decode())
        time.sleep(0.1)
    raise AssertionError("no worker of faceless serve has a multiprocess directory")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, redis_server: RedisServer) -> Iterator[Served]:
    var_dir = tmp_path_factory.mktemp("served-metrics")
    port = free_port()
    env: dict[str, str | None] = {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(var_dir),
        "PUBLIC_URL": f"https://localhost:{port}",
        "REDIS_URL": redis_server.url(REDIS_DB),
        "DATABASE_URL": None,
        "SECRETS_DIR": None,
        "SECRETS_BACKENDS": None,
        "RATE_LIMITS": None,
        "TLS_CERT_FILE": None,
        "TLS_KEY_FILE": None,
        "TLS_CA_FILE": None,
    }
    argv = [FACELESS, "serve", "--workers", "2", "--port", str(port), "--redirect-port", "0"]
    with ManagedProcess(argv, env=env, name="serve-workers", log_dir=var_dir) as process:
        process.wait_for_line(r"Serving HTTPS", timeout=180)
        assert process.pid is not None
        yield Served(
            process,
            f"https://127.0.0.1:{port}",
            var_dir / "tls" / "ca.pem",
            _metrics_dir(process.pid),
        )


async def _until_both_workers_answer(served: Served) -> None:
    async with served.client() as http:
        for _ in range(120):  # the workers import the app before they accept: bounded wait
            try:
                if (await http.get("/health")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(1)
    raise AssertionError(f"no worker answered; output:\n{served.process.output()[-3000:]}")


def per_process_health_counts(directory: Path) -> dict[str, float]:
    """The /health count in each process's own counter file."""
    found = {}
    for path in sorted(directory.glob("counter_*.db")):
        for family in MultiProcessCollector.merge([str(path)]):
            for sample in family.samples:
                if sample.name == "faceless_http_requests_total" and sample.labels == HEALTH:
                    found[path.stem.removeprefix("counter_")] = sample.value
    return found


async def _flushed(served: Served, sent: int) -> dict[str, float]:
    """Per-process counts once every worker has written what it counted (about 1 s)."""
    for _ in range(100):  # bounded: 10 s, ten times the flush period
        counts = per_process_health_counts(served.metrics_dir)
        if sum(counts.values()) == sent:
            return counts
        await asyncio.sleep(0.1)
    raise AssertionError(f"the workers' files hold {counts}, not {sent} requests")


async def test_a_scrape_sums_both_workers(served: Served) -> None:
    await _until_both_workers_answer(served)
    sent = 1  # the readiness probe above
    async with served.client() as http:
        for _round in range(20):
            answers = await asyncio.gather(*(http.get("/health") for _ in range(50)))
            assert all(answer.status_code == 200 for answer in answers)
            sent += len(answers)
            counts = await _flushed(served, sent)
            if len([count for count in counts.values() if count]) >= 2:
                break
        else:
            raise AssertionError(f"one worker took every connection: {counts}")
        scraped = []
        for _ in range(6):
            response = await http.get("/metrics")
            assert response.status_code == 200
            scraped.append(value(samples(response.text), "faceless_http_requests_total", **HEALTH))
    # Whichever worker answered, the scrape holds both workers' requests.
    assert scraped == [sent] * 6, (scraped, counts)


def _used_names(expressions: list[str]) -> set[str]:
    return {name for expr in expressions for name in re.findall(r"\bfaceless_[a-z0-9_]+", expr)}


def dashboard_expressions() -> list[str]:
    dashboard = json.loads((ROOT / "deploy" / "grafana" / "faceless-api.json").read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def alert_expressions() -> list[str]:
    groups = yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())
    return [rule["expr"] for group in groups["groups"] for rule in group["rules"]]


async def test_the_dashboard_and_the_alerts_use_only_exported_metrics(served: Served) -> None:
    await _until_both_workers_answer(served)
    async with served.client() as http:
        response = await http.get("/metrics")
    exported = names(samples(response.text))
    for source, expressions in (
        ("dashboard", dashboard_expressions()),
        ("alerts", alert_expressions()),
    ):
        used = _used_names(expressions)
        assert len(used) >= 10, (source, used)
        missing = sorted(used - exported)
        assert not missing, f"the {source} queries metrics the service does not export: {missing}"


def test_the_metrics_directory_goes_when_the_server_stops(served: Served) -> None:
    assert served.metrics_dir.is_dir()
    assert served.process.stop() in (0, 143)  # SIGTERM: a clean exit, handlers run
    assert not served.metrics_dir.exists()
