"""``faceless serve`` shapes: refusals at start-up, ``--behind-proxy``, ``--workers`` with TLS."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from faceless.cli import serve_cmd
from faceless.cli.main import app
from faceless.security.tls.certs import CertPaths, generate
from tests.security.tls.conftest import Server, serve_env
from tests.security.tls.helpers import client_context, handshake

HSTS = "strict-transport-security"


def _invoke_serve(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str | None], *args: str
) -> tuple[int, str]:
    """``faceless serve`` in-process, up to the point where it would touch the database."""

    def must_not_run(*_: Any, **__: Any) -> None:
        raise AssertionError("serve went past its TLS checks")

    monkeypatch.setattr(serve_cmd, "configure_logging", lambda: None)
    monkeypatch.setattr(serve_cmd, "exec_api_process", must_not_run)
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["serve", *args])
    return result.exit_code, result.stderr


def test_production_refuses_to_start_without_configured_certificates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = serve_env(tmp_path / "var", tmp_path / "t.db", "https://api.example.test")
    env["FACELESS_ENV"] = "production"
    code, stderr = _invoke_serve(monkeypatch, env)
    assert code == 2
    assert "TLS_CERT_FILE" in stderr and "--behind-proxy" in stderr
    assert not (tmp_path / "var" / "tls").exists()  # nothing generated


def test_a_group_readable_key_stops_the_boot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tls = CertPaths(tmp_path / "var" / "tls")
    generate(tls)
    tls.key.chmod(0o640)
    env = serve_env(tmp_path / "var", tmp_path / "t.db", "https://localhost:8443")
    code, stderr = _invoke_serve(monkeypatch, env, "--redirect-port", "0")
    assert code == 2
    assert "mode 0640" in stderr and "chmod 600" in stderr


def test_a_plain_http_public_url_cannot_be_a_redirect_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = serve_env(tmp_path / "var", tmp_path / "t.db", "http://localhost:8443")
    code, stderr = _invoke_serve(monkeypatch, env, "--redirect-port", "1")
    assert code == 2 and "must be an https:// origin" in stderr


def test_behind_proxy_is_plain_http_and_hsts_follows_the_trusted_proxy(
    proxied_server: Server,
) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{proxied_server.port}") as http:
        direct = http.get("/health")
        assert direct.status_code == 200 and HSTS not in direct.headers
        proxied = http.get("/health", headers={"X-Forwarded-Proto": "https"})
        assert proxied.headers.get_list(HSTS) == ["max-age=63072000; includeSubDomains"]
    output = proxied_server.process.output()
    assert "Redirecting" not in output and "Serving HTTP on" in output
    assert not proxied_server.tls.directory.exists()  # no certificates needed or made


def test_every_worker_serves_the_policy_context(workers_server: Server) -> None:
    assert "Redirecting" not in workers_server.process.output()  # --redirect-port 0
    ca, port = workers_server.tls.ca_cert, workers_server.port
    # Several connections, so that both workers answer; each refuses what the policy does.
    for _ in range(6):
        assert handshake(client_context(ca), port)[0] == "TLSv1.3"
        with pytest.raises(ssl.SSLError):
            handshake(client_context(ca, version=ssl.TLSVersion.TLSv1_1), port)
        with pytest.raises(ssl.SSLError):
            handshake(client_context(ca, version=ssl.TLSVersion.TLSv1_3, group="X448"), port)
