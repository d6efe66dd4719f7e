"""Start-up validation: refusals name every problem and no value; a real production start."""

from __future__ import annotations

import base64
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from faceless.cli import serve_cmd
from faceless.cli.main import app
from faceless.secrets.validation import is_placeholder
from faceless.security.tls.certs import CertPaths, generate
from tests.fixtures.ports import free_port
from tests.fixtures.postgres import PostgresCluster
from tests.fixtures.processes import ManagedProcess
from tests.fixtures.redis import RedisServer

FACELESS = str(Path(sys.executable).with_name("faceless"))
ROOT = Path(__file__).resolve().parents[2]
# Every variable a test here sets; cleared first so the runner's environment can't leak in.
SECRET_ENV = (
    "SECRET_KEY",
    "DATA_ENCRYPTION_KEY",
    "API_TOKEN_HMAC_KEY",
    "DATABASE_URL",
    "DATABASE_MIGRATION_URL",
    "REDIS_URL",
    "METRICS_TOKEN",
    "ANTHROPIC_API_KEY",
    "MONGODB_URI",
    "YOUTUBE_CLIENT_ID",
    "YOUTUBE_CLIENT_SECRET",
    "YOUTUBE_REFRESH_TOKEN",
    "PGSSLROOTCERT",
    "SECRETS_DIR",
    "SECRETS_BACKENDS",
    "TLS_CERT_FILE",
    "TLS_KEY_FILE",
)


def strong_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


def write_secrets(directory: Path, values: dict[str, str]) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    for name, value in values.items():
        path = directory / name
        path.write_text(value + "\n", encoding="utf-8")
        path.chmod(0o600)


def base_env(tmp_path: Path, env: str = "production") -> dict[str, str | None]:
    values: dict[str, str | None] = dict.fromkeys(SECRET_ENV)
    values.update(
        FACELESS_ENV=env,
        FACELESS_VAR_DIR=str(tmp_path / "var"),
        SECRETS_BACKENDS="files",
        SECRETS_DIR=str(tmp_path / "secrets"),
        PUBLIC_URL="https://api.example.test",
        TRUSTED_PROXIES="127.0.0.1",
    )
    return values


def invoke(monkeypatch: pytest.MonkeyPatch, env: dict[str, str | None], *args: str) -> Any:
    for name, value in env.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return CliRunner().invoke(app, list(args))


# A deployment with one of every problem, each value distinctive enough to grep for.
BAD_VALUES = {
    "DATA_ENCRYPTION_KEY": base64.b64encode(b"only-sixteen-byt").decode(),  # 128 bits
    "METRICS_TOKEN": "changeme",
    "ANTHROPIC_API_KEY": "not-an-anthropic-key-0123456789",
    "MONGODB_URI": "mongodb://app:mongo-pass-Zq81@mongo.internal/app",
    "YOUTUBE_CLIENT_ID": "yt-client-id-4471",
}
BAD_DATABASE_URL = "postgresql+asyncpg://app:db-pass-Xk29@db.internal/app"


@pytest.fixture
def broken_deployment(tmp_path: Path) -> dict[str, str | None]:
    write_secrets(tmp_path / "secrets", {**BAD_VALUES, "DATABASE_URL": BAD_DATABASE_URL})
    return base_env(tmp_path)


EXPECTED_PROBLEMS = (
    "SECRET_KEY: missing (required)",
    "API_TOKEN_HMAC_KEY: missing (required)",
    "DATA_ENCRYPTION_KEY: a key has 128 bits; at least 256 needed",
    "DATABASE_URL: production requires sslmode=verify-full",
    "DATABASE_URL: production requires a CA file",
    "REDIS_URL: missing (required in production)",
    "METRICS_TOKEN: is a placeholder value",
    "ANTHROPIC_API_KEY: does not have the shape of an Anthropic key",
    "MONGODB_URI: production requires tls=true",
    "YouTube publisher: partly configured; missing YOUTUBE_CLIENT_SECRET, YOUTUBE_REFRESH_TOKEN",
)


def assert_no_values(text: str) -> None:
    for value in (*BAD_VALUES.values(), BAD_DATABASE_URL, "db-pass-Xk29", "mongo-pass-Zq81"):
        assert value not in text


def test_secrets_check_names_every_problem_and_no_value(
    broken_deployment: dict[str, str | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = invoke(monkeypatch, broken_deployment, "secrets", "check")
    assert result.exit_code == 1
    for problem in EXPECTED_PROBLEMS:
        assert problem in result.stdout, problem
    assert_no_values(result.output)


def test_serve_refuses_to_start_with_one_message_listing_every_problem(
    broken_deployment: dict[str, str | None], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def must_not_run(*_: Any, **__: Any) -> None:
        raise AssertionError("serve started despite invalid secrets")

    monkeypatch.setattr(serve_cmd, "configure_logging", lambda: None)
    monkeypatch.setattr(serve_cmd, "exec_api_process", must_not_run)
    result = invoke(monkeypatch, broken_deployment, "serve", "--behind-proxy", "--port", "1")
    assert result.exit_code == 2
    assert f"refusing to start: {len(EXPECTED_PROBLEMS)} secret problem(s)" in result.stderr
    for problem in EXPECTED_PROBLEMS:
        assert problem in result.stderr, problem
    assert_no_values(result.output)
    assert not (tmp_path / "var" / "faceless.db").exists()  # nothing was touched


@pytest.mark.parametrize(
    ("secret_values", "problem"),
    [
        ({"SECRET_KEY": "ChangeMe"}, "SECRET_KEY: is a placeholder value"),
        ({"SECRET_KEY": "k1:" + "ab" * 32}, "SECRET_KEY: a key has too little entropy"),
        ({"SECRET_KEY": "not base64 !!"}, "SECRET_KEY: a key is neither hex nor base64"),
        ({"DATA_ENCRYPTION_KEY": "<set-me>"}, "DATA_ENCRYPTION_KEY: is a placeholder value"),
        (
            {"DATABASE_URL": "postgresql+asyncpg://app:changeme@db/app?ssl=verify-full"},
            "DATABASE_URL: its password is a placeholder value",
        ),
        ({"DATABASE_URL": "sqlite+aiosqlite:///x.db"}, "DATABASE_URL: production needs PostgreSQL"),
    ],
)
def test_each_refusal_names_its_secret(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    secret_values: dict[str, str],
    problem: str,
) -> None:
    good = {
        "SECRET_KEY": strong_key(),
        "DATA_ENCRYPTION_KEY": strong_key(),
        "API_TOKEN_HMAC_KEY": strong_key(),
    }
    write_secrets(tmp_path / "secrets", {**good, **secret_values})
    result = invoke(monkeypatch, base_env(tmp_path), "secrets", "check")
    assert result.exit_code == 1
    assert problem in result.stdout
    for value in secret_values.values():
        assert value not in result.output


def test_development_accepts_generated_keys_without_a_database_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = invoke(monkeypatch, base_env(tmp_path, "development"), "migrate")
    assert result.exit_code == 0, result.output
    result = invoke(monkeypatch, base_env(tmp_path, "development"), "secrets", "check")
    assert result.exit_code == 0, result.output
    assert "ok    SECRET_KEY (files)" in result.stdout
    assert "secrets valid" in result.stdout


def test_an_unusable_backend_configuration_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = {**base_env(tmp_path), "SECRETS_BACKENDS": "dotenv,files"}
    result = invoke(monkeypatch, env, "secrets", "check")
    assert result.exit_code == 2
    assert "production refuses" in result.stderr


def test_template_placeholders_are_recognised() -> None:
    """Every value the templates ship for a secret is refused outside development."""
    for template in (".env.example", ".env.production.example"):
        for line in (ROOT / template).read_text(encoding="utf-8").splitlines():
            if "<set-me" in line and "=" in line and not line.lstrip().startswith("#"):
                _, _, value = line.partition("=")
                password = value.split("://", 1)[-1].partition("@")[0].rpartition(":")[2]
                assert is_placeholder(value) or is_placeholder(password), line


# --- a real production start: every secret from the files backend -----------------------


def _postgres_owned(paths: list[Path]) -> None:
    """As root the cluster runs as ``postgres``, which must own its key (0600)."""
    if os.geteuid() != 0:
        return
    user = pwd.getpwnam("postgres")
    for path in paths:
        os.chown(path, user.pw_uid, user.pw_gid)


@pytest.fixture(scope="module")
def tls_postgres() -> Iterator[tuple[PostgresCluster, Path]]:
    """PostgreSQL with TLS on, its certificate from our own dev CA (names 127.0.0.1)."""
    tls_dir = Path(tempfile.mkdtemp(prefix="faceless-pg-tls-"))
    tls_dir.chmod(0o711)
    paths = CertPaths(tls_dir)
    generate(paths)
    paths.cert.chmod(0o644)
    paths.ca_cert.chmod(0o644)
    _postgres_owned([paths.key])
    conf = {"ssl": "on", "ssl_cert_file": str(paths.cert), "ssl_key_file": str(paths.key)}
    try:
        with PostgresCluster(preload_pgaudit=True, extra_conf=conf) as cluster:
            cluster.create_database("prod")
            yield cluster, paths.ca_cert
    finally:
        shutil.rmtree(tls_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def prod_redis() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


def test_production_starts_with_every_secret_from_files(
    tmp_path: Path, tls_postgres: tuple[PostgresCluster, Path], prod_redis: RedisServer
) -> None:
    cluster, ca = tls_postgres
    database_url = f"{cluster.dsn('prod')}?sslmode=verify-full&sslrootcert={ca}"
    values = {
        "SECRET_KEY": "2026-11:" + strong_key(),
        "DATA_ENCRYPTION_KEY": "2026-11:" + strong_key(),
        "API_TOKEN_HMAC_KEY": "2026-11:" + strong_key(),
        "METRICS_TOKEN": secrets.token_urlsafe(32),
        "DATABASE_URL": database_url,
        "REDIS_URL": prod_redis.url(),
    }
    write_secrets(tmp_path / "secrets", values)
    env = base_env(tmp_path)
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    migrate = subprocess.run(
        [FACELESS, "migrate"],
        env={**os.environ, **{k: v for k, v in env.items() if v is not None}},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr[-2000:]
    port = free_port()
    argv = [FACELESS, "serve", "--behind-proxy", "--host", "127.0.0.1", "--port", str(port)]
    with ManagedProcess(argv, env=env, name="serve-production", log_dir=tmp_path) as server:
        server.wait_for_port(port, timeout=120)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            ready = http.get("/health/ready")
            metrics = http.get(
                "/metrics",
                headers={
                    "Authorization": f"Bearer {values['METRICS_TOKEN']}",
                    "X-Forwarded-For": "203.0.113.9",
                },
            )
        assert ready.status_code == 200, ready.text
        assert metrics.status_code == 200
        encrypted = cluster.psql(
            "SELECT count(*) FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) "
            "WHERE a.datname = 'prod' AND s.ssl",
            database="postgres",
        )
        assert int(encrypted.strip().splitlines()[-1]) >= 1  # the app's connections use TLS
        audit = cluster.psql(
            "SELECT action || ' ' || target FROM audit_events ORDER BY id", database="prod"
        )
        assert "secrets.load secret:SECRET_KEY@files" in audit
        assert "secrets.load secret:DATABASE_URL@files" in audit
        server.stop()
        output = server.output()
    fragments = [
        *values.values(),
        values["SECRET_KEY"].partition(":")[2],
        values["DATA_ENCRYPTION_KEY"].partition(":")[2],
        cluster.superuser_password,
        prod_redis.password,
    ]
    assert "secret.loaded" in output  # the log was captured, and it is clean:
    for fragment in fragments:
        assert fragment not in output
