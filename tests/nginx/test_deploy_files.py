"""The deployment files parse and say what they promise; the env examples cover every setting.

``docker-compose config`` (Debian's docker-compose, no engine needed) validates and
resolves the compose files; the tests then read the resolved YAML.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "src" / "faceless"
ENV_EXAMPLES = (ROOT / ".env.example", ROOT / ".env.production.example")


def compose_config(*args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.fail("docker-compose is not installed (apt-get install -y docker-compose)")
    result = subprocess.run(
        [binary, *args, "config"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def _port(entry: str | dict[str, Any]) -> tuple[str, int, int]:
    """(host address, published, target) from either form docker-compose prints."""
    if isinstance(entry, dict):
        return entry.get("host_ip", ""), int(entry["published"]), int(entry["target"])
    parts = entry.removesuffix("/tcp").split(":")
    host = parts[0] if len(parts) == 3 else ""
    return host, int(parts[-2]), int(parts[-1])


@pytest.fixture(scope="module")
def staging() -> dict[str, Any]:
    return compose_config(
        "--env-file",
        ".env.production.example",
        "-f",
        "docker-compose.staging.yml",
        env={"FACELESS_ENV_FILE": ".env.production.example"},
    )


def test_dev_compose_parses_and_publishes_on_loopback_only() -> None:
    config = compose_config("-f", "docker-compose.yml")
    ports = {_port(p) for p in config["services"]["api"]["ports"]}
    assert ports == {("127.0.0.1", 8443, 8443), ("127.0.0.1", 8080, 8080)}


def test_staging_has_the_production_shape(staging: dict[str, Any]) -> None:
    services = staging["services"]
    assert set(services) == {
        "postgres",
        "redis",
        "migrate",
        "api-1",
        "api-2",
        "worker",
        "scheduler",
        "nginx-config",
        "nginx",
    }
    nginx = services["nginx"]
    assert {_port(p) for p in nginx["ports"]} == {("", 80, 80), ("", 443, 443)}
    # Only nginx is published; the API instances are reachable through it alone.
    assert [name for name, s in services.items() if s.get("ports")] == ["nginx"]
    certs = [v for v in nginx["volumes"] if "/etc/nginx/certs/" in v]
    assert len(certs) == 2 and all(v.endswith(":ro") for v in certs)
    nginx_ip = nginx["networks"]["edge"]["ipv4_address"]
    for name in ("api-1", "api-2"):
        api = services[name]
        assert api["command"][:3] == ["faceless", "serve", "--behind-proxy"]
        assert api["environment"]["TRUSTED_PROXIES"] == nginx_ip
        assert api["read_only"] is True and api["cap_drop"] == ["ALL"]
    render = services["nginx-config"]["command"]
    assert render[:2] == ["faceless", "nginx-config"]
    assert "api-1:8000" in render and "api-2:8000" in render
    assert services["worker"]["command"] == ["faceless", "worker"]
    assert services["scheduler"]["command"] == ["faceless", "scheduler"]
    # Only the migrate job holds the owner's (DDL) credentials.
    for name in ("api-1", "api-2", "worker", "scheduler", "nginx-config"):
        assert not services[name]["environment"].get("DATABASE_MIGRATION_URL"), name
    assert "faceless_owner" in services["migrate"]["environment"]["DATABASE_MIGRATION_URL"]


def test_staging_databases_are_hardened(staging: dict[str, Any]) -> None:
    services = staging["services"]
    postgres = services["postgres"]
    assert postgres["build"]["context"].endswith("deploy/postgres")
    recipe = (ROOT / "deploy" / "postgres" / "Dockerfile").read_text()
    assert "postgresql-15-pgaudit" in recipe and "shared_preload_libraries=pgaudit" in recipe
    redis = services["redis"]
    assert "requirepass" in " ".join(redis["command"])
    assert "REDIS_PASSWORD" in redis["environment"]
    # Databases live on an internal network only.
    assert staging["networks"]["backend"]["internal"] is True
    assert set(postgres["networks"]) == set(redis["networks"]) == {"backend"}


def _setting_names() -> set[str]:
    """Every environment variable a settings field reads, wherever it is declared."""
    names: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        names.update(re.findall(r'validation_alias="([A-Z][A-Z0-9_]*)"', path.read_text()))
    return names


@pytest.mark.parametrize("example", ENV_EXAMPLES, ids=lambda p: p.name)
def test_env_examples_document_every_setting(example: Path) -> None:
    names = _setting_names()
    assert len(names) > 30
    documented = set(re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", example.read_text(), re.MULTILINE))
    assert names - documented == set(), f"{example.name} misses settings"


@pytest.mark.parametrize("example", ENV_EXAMPLES, ids=lambda p: p.name)
def test_env_examples_hold_no_secret(example: Path) -> None:
    text = example.read_text()
    for line in text.splitlines():
        if line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.partition("=")
        assert name not in {"SECRET_KEY", "DATA_ENCRYPTION_KEY", "METRICS_TOKEN", "VAULT_TOKEN"}
        if re.search(r"PASSWORD|TOKEN$|SECRET$|_KEY$", name) and not name.endswith("_SECONDS"):
            assert value in ("", "<set-me>"), line
        # No credential embedded in a URL either, only the placeholder.
        for user_info in re.findall(r"//([^@/\s]*)@", value):
            assert user_info.endswith(":<set-me>"), line
        # Nothing that looks like a real key.
        assert not re.search(r"[A-Za-z0-9+/=_-]{32,}", value), line
