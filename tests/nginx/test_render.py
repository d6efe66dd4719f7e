"""The rendered nginx configuration: contents, validation, the committed file, ``nginx -t``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from faceless.cli.main import app
from faceless.nginx.render import (
    DEFAULT_OUTPUT,
    NginxOptions,
    client_max_body_size,
    default_settings,
    render_nginx_config,
)
from faceless.security.body_rules import build_body_rules
from faceless.security.tls import policy
from faceless.settings import HttpSettings, SecuritySettings, Settings
from tests.nginx.conftest import generate_certs
from tests.nginx.server import nginx_binary

ROOT = Path(__file__).resolve().parents[2]
COMMITTED = ROOT / DEFAULT_OUTPUT


def _settings(**http: object) -> Settings:
    return Settings(http=HttpSettings(**{"public_url": "https://api.example.com", **http}))  # type: ignore[arg-type]


def _directives(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_tls_follows_the_mozilla_intermediate_policy() -> None:
    lines = _directives(render_nginx_config(_settings()))
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in lines
    assert f"ssl_ciphers {':'.join(policy.TLS12_CIPHERS)};" in lines
    assert "ssl_ecdh_curve X25519:prime256v1:secp384r1;" in lines
    for directive in (
        "ssl_prefer_server_ciphers off;",
        "ssl_session_tickets off;",
        "ssl_session_cache shared:SSL:10m;",
        "ssl_session_timeout 1d;",
        "server_tokens off;",
    ):
        assert directive in lines


def test_redirect_targets_the_configured_origin_never_the_host_header() -> None:
    text = render_nginx_config(_settings(public_url="https://api.example.com:443"))
    assert "return 301 https://api.example.com$request_uri;" in text
    assert "return 308 https://api.example.com$request_uri;" in text
    assert "$host$" not in text and "https://$host" not in text
    with_port = render_nginx_config(_settings(public_url="https://api.example.com:8443"))
    assert "return 301 https://api.example.com:8443$request_uri;" in with_port


def test_proxy_headers_overwrite_what_the_client_sent() -> None:
    lines = _directives(render_nginx_config(_settings()))
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in lines
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in lines
    assert "proxy_set_header Host $host;" in lines
    assert 'proxy_set_header Forwarded "";' in lines
    assert not any("proxy_add_x_forwarded_for" in line for line in lines)
    assert "proxy_http_version 1.1;" in lines
    assert 'proxy_set_header Connection "";' in lines


def test_body_limit_matches_the_apps_upload_limit() -> None:
    settings = _settings(max_upload_bytes=10 * 1024 * 1024)
    text = render_nginx_config(settings)
    expected = client_max_body_size(settings)
    assert f"client_max_body_size {expected};" in text
    rules = build_body_rules(max_json_bytes=1024 * 1024, max_upload_bytes=10 * 1024 * 1024)
    assert expected == rules.for_path("/api/v1/transcribe").max_bytes


def test_upstreams_keepalive_timeouts_and_login_wall() -> None:
    options = NginxOptions(upstreams=("10.0.0.5:8000", "[::1]:8001", "api-2:8000"))
    lines = _directives(render_nginx_config(_settings(), options))
    for upstream in options.upstreams:
        assert f"server {upstream} max_fails=3 fail_timeout=10s;" in lines
    assert "keepalive 32;" in lines
    for name in (
        "client_header_timeout",
        "client_body_timeout",
        "send_timeout",
        "keepalive_timeout",
    ):
        assert any(line.startswith(name + " ") for line in lines), name
    assert "limit_req_zone $binary_remote_addr zone=faceless_login:10m rate=10r/m;" in lines
    assert "limit_req zone=faceless_login burst=5 nodelay;" in lines
    assert "limit_req_status 429;" in lines


def test_request_bounds_follow_the_apps_settings() -> None:
    lines = _directives(render_nginx_config(_settings()))
    # 16 KiB of head at most, in buffers no larger than 8 KiB; 30 s for a head, 30 s of pause.
    assert "large_client_header_buffers 2 8192;" in lines
    assert "client_header_timeout 30s;" in lines and "client_body_timeout 30s;" in lines
    assert "limit_conn_zone $binary_remote_addr zone=faceless_conn:10m;" in lines
    assert "limit_conn faceless_conn 100;" in lines and "limit_conn_status 503;" in lines
    tuned = _directives(
        render_nginx_config(
            _settings(max_header_bytes=12 * 1024, header_timeout_seconds=1.5),
            NginxOptions(connections_per_address=7),
        )
    )
    assert "large_client_header_buffers 2 6144;" in tuned
    assert "client_header_timeout 1500ms;" in tuned
    assert "limit_conn faceless_conn 7;" in tuned
    with pytest.raises(ValueError):
        render_nginx_config(_settings(), NginxOptions(connections_per_address=0))


def test_security_headers_only_on_nginx_own_responses() -> None:
    """One owner per header: the redirect server and the error location, never `location /`."""
    text = render_nginx_config(_settings())
    https_server = text[text.rindex("    server {") :]
    proxied = https_server[: https_server.index("error_page")]
    assert "add_header" not in proxied
    error_location = https_server[https_server.index("location = /_faceless/error") :]
    assert (
        error_location.count(
            'add_header Strict-Transport-Security "max-age=63072000; includeSubDomains" always;'
        )
        == 1
    )
    redirect_server = text[text.index("    server {") : text.rindex("    server {")]
    assert "Strict-Transport-Security" not in redirect_server
    assert redirect_server.count("add_header X-Frame-Options") == 1
    preload = render_nginx_config(
        Settings(
            http=HttpSettings(public_url="https://api.example.com"),
            security=SecuritySettings(hsts_preload=True),
        )
    )
    assert "max-age=63072000; includeSubDomains; preload" in preload


def test_http2_spelling_follows_the_nginx_version() -> None:
    legacy = render_nginx_config(_settings())
    assert "listen 443 ssl http2 default_server;" in legacy and "http2 on;" not in legacy
    modern = render_nginx_config(_settings(), NginxOptions(http2_directive=True))
    assert "listen 443 ssl default_server;" in modern and "http2 on;" in modern


def test_test_mode_paths_and_user() -> None:
    options = NginxOptions(
        foreground=True,
        user="nobody nogroup",
        pid_path="/tmp/n/nginx.pid",
        temp_dir="/tmp/n/tmp",
        listen_addresses=("127.0.0.1",),
        http_port=18080,
        https_port=18443,
    )
    lines = _directives(render_nginx_config(_settings(), options))
    assert lines[:2] == ["user nobody nogroup;", "worker_processes auto;"]
    assert "daemon off;" in lines and "pid /tmp/n/nginx.pid;" in lines
    assert "client_body_temp_path /tmp/n/tmp/client_body;" in lines
    assert "listen 127.0.0.1:18443 ssl http2 default_server;" in lines
    defaults = _directives(render_nginx_config(_settings()))
    assert not any(line.startswith(("user ", "daemon ", "pid ")) for line in defaults)


@pytest.mark.parametrize(
    ("options", "http"),
    [
        (NginxOptions(upstreams=("127.0.0.1:8000; include /etc/passwd",)), {}),
        (NginxOptions(upstreams=("127.0.0.1",)), {}),
        (NginxOptions(upstreams=()), {}),
        (NginxOptions(server_names=("a.example; return 200",)), {}),
        (NginxOptions(cert="/etc/certs/my cert.pem"), {}),
        (NginxOptions(key="relative/key.pem"), {}),
        (NginxOptions(key="/etc/$host/key.pem"), {}),
        (NginxOptions(user="root; load_module x"), {}),
        (NginxOptions(listen_addresses=("0.0.0.0 ssl",)), {}),
        (NginxOptions(http_port=443, https_port=443), {}),
        (NginxOptions(), {"public_url": "http://api.example.com"}),
        (NginxOptions(public_url="https://evil.example/path"), {}),
        (NginxOptions(public_url="https://bad_host$x"), {}),
    ],
)
def test_values_that_could_inject_directives_are_refused(
    options: NginxOptions, http: dict[str, object]
) -> None:
    with pytest.raises(ValueError):
        render_nginx_config(_settings(**http), options)


def test_committed_file_is_a_fresh_render_of_the_defaults() -> None:
    assert COMMITTED.read_text() == render_nginx_config(default_settings(), NginxOptions()), (
        f"{DEFAULT_OUTPUT} drifted from the template; regenerate it with "
        "`faceless nginx-config --defaults`"
    )


def test_cli_writes_checks_and_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    out = tmp_path / "nginx.conf"
    args = ["nginx-config", "--defaults", "--upstream", "10.1.0.2:8000", "--output", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "server 10.1.0.2:8000 max_fails=3" in out.read_text()
    assert runner.invoke(app, [*args, "--check"]).exit_code == 0
    out.write_text(out.read_text() + "# edited by hand\n")
    assert runner.invoke(app, [*args, "--check"]).exit_code == 1
    bad = runner.invoke(app, ["nginx-config", "--server-name", "x; include /etc/shadow", "-o", "-"])
    assert bad.exit_code == 2
    assert "server name" in bad.output
    # Default output path, relative to the working directory.
    assert runner.invoke(app, ["nginx-config", "--defaults"]).exit_code == 0
    assert (tmp_path / DEFAULT_OUTPUT).read_text() == COMMITTED.read_text()


def test_nginx_accepts_the_committed_file(tmp_path: Path) -> None:
    certs = generate_certs(tmp_path / "certs")
    text = COMMITTED.read_text()
    for old, new in (
        ("/etc/nginx/certs/fullchain.pem", str(certs.cert)),
        ("/etc/nginx/certs/privkey.pem", str(certs.key)),
        ("/var/log/nginx/error.log", str(tmp_path / "error.log")),
        ("/var/log/nginx/access.log", str(tmp_path / "access.log")),
    ):
        assert old in text
        text = text.replace(old, new)
    config = tmp_path / "nginx.conf"
    config.write_text(text)
    result = subprocess.run(
        [
            nginx_binary(),
            "-t",
            "-c",
            str(config),
            "-p",
            str(tmp_path),
            "-e",
            "stderr",
            "-g",
            f"pid {tmp_path / 'nginx.pid'};",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr
