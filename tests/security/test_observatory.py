"""MDN HTTP Observatory grade of a real ``faceless serve``: A+ and at least 130.

The engine runs locally (``tests/security/observatory.py``) against the server's own
HTTPS listener and its plain-HTTP redirect listener on free loopback ports, with the
development CA it generated on first start trusted through ``NODE_EXTRA_CA_CERTS``, for
a JSON route and for the API docs page. Every one of the engine's tests must pass too.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures import ManagedProcess, free_port
from tests.security.observatory import ObservatoryResult, scan_paths

pytestmark = pytest.mark.slow

FACELESS = str(Path(sys.executable).with_name("faceless"))
PATHS = ["/health", "/docs"]


@dataclass(frozen=True)
class Served:
    https_port: int
    redirect_port: int
    ca_file: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    base = tmp_path_factory.mktemp("observatory")
    https_port, redirect_port = free_port(), free_port()
    while redirect_port == https_port:
        redirect_port = free_port()
    env: dict[str, str | None] = {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(base / "var"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{base / 'observatory.db'}",
        "PUBLIC_URL": f"https://localhost:{https_port}",
        "REDIS_URL": None,
        "TRUSTED_PROXIES": None,
        "ALLOWED_HOSTS": None,
        "CORS_ORIGINS": None,
        "DOCS_ENABLED": None,
        "TLS_CERT_FILE": None,
        "TLS_KEY_FILE": None,
        "TLS_CA_FILE": None,
        "HSTS_PRELOAD": None,
    }
    argv = [FACELESS, "serve", "--port", str(https_port), "--redirect-port", str(redirect_port)]
    with ManagedProcess(argv, env=env, name="observatory-api", log_dir=base) as process:
        process.wait_for_port(https_port, timeout=60)
        process.wait_for_port(redirect_port, timeout=10)
        yield Served(https_port, redirect_port, base / "var" / "tls" / "ca.pem")


@pytest.fixture(scope="module")
def results(served: Served) -> dict[str, ObservatoryResult]:
    return scan_paths(
        PATHS,
        host="localhost",
        https_port=served.https_port,
        http_port=served.redirect_port,
        ca_file=served.ca_file,
    )


@pytest.mark.parametrize("path", PATHS)
def test_grade_is_a_plus_with_at_least_130(
    results: dict[str, ObservatoryResult], path: str
) -> None:
    result = results[path]
    assert result.failed() == {}, result.raw
    # The certificate verified (an unverified one is marked down, not refused).
    assert result.tests["redirection"]["result"] == "redirection-to-https", result.raw
    assert result.tests["strict-transport-security"]["pass"], result.raw
    assert result.grade == "A+", result.raw
    assert result.score >= 130, {name: t["result"] for name, t in result.tests.items()}
