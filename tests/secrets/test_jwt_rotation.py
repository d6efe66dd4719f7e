"""JWT signing-key rotation: new key first, old tokens still verify, a retired key's
tokens stop at once; in-process through ``reload_secrets`` and in a real server by SIGHUP."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import httpx
import jwt
import pytest
from typer.testing import CliRunner

from faceless.cli.main import app as cli
from faceless.models import Role
from faceless.secrets.reload import pid_file, read_pid
from faceless.settings import Settings
from tests.conftest import Accounts, running_app
from tests.fixtures.ports import free_port
from tests.fixtures.processes import ManagedProcess

FACELESS = str(Path(sys.executable).with_name("faceless"))
REFRESH = "/api/v1/auth/refresh"


def rotate(settings: Settings, *args: str) -> str:
    env = {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(settings.paths.var_dir),
        "SECRETS_DIR": str(settings.secrets_dir),
    }
    result = CliRunner().invoke(cli, ["secrets", "rotate-jwt", *args], env=env)
    assert result.exit_code == 0, result.output
    return result.stdout


def kid_of(token: str) -> str:
    return str(jwt.get_unverified_header(token)["kid"])


async def test_rotate_then_retire_in_process(settings: Settings) -> None:
    async with running_app(settings) as (services, http):
        accounts = Accounts(services, http)
        await accounts.create("rotator", Role.EDITOR)
        old_token = (await accounts.login("rotator"))["access_token"]
        old_kid = kid_of(old_token)
        # Two sign-ins under the old key: one refreshes during the overlap, one stays idle.
        active_refresh = (await accounts.login("rotator"))["refresh_token"]
        idle_refresh = (await accounts.login("rotator"))["refresh_token"]
        secret_file = settings.secrets_dir / "SECRET_KEY"
        before = secret_file.read_text()

        out = rotate(settings, "--write")
        assert before.strip() not in out  # key ids only, never key material
        assert secret_file.stat().st_mode & 0o777 == 0o600
        services.reload_secrets()
        new_token = (await accounts.login("rotator"))["access_token"]
        new_kid = kid_of(new_token)
        assert new_kid != old_kid and new_kid.startswith("jwt-")
        for token in (old_token, new_token):  # both keys verify during the overlap
            me = await http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200
        # A refresh during the overlap re-hashes the new refresh token under the new key.
        refreshed = await http.post(REFRESH, json={"refresh_token": active_refresh})
        assert refreshed.status_code == 200
        active_refresh = refreshed.json()["refresh_token"]

        rotate(settings, "--retire", old_kid)
        services.reload_secrets()
        old = await http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {old_token}"})
        new = await http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {new_token}"})
        assert old.status_code == 401 and new.status_code == 200
        # The sign-in that refreshed survives retirement; the idle one is signed out.
        assert (await http.post(REFRESH, json={"refresh_token": active_refresh})).status_code == 200
        assert (await http.post(REFRESH, json={"refresh_token": idle_refresh})).status_code == 401


def test_the_current_key_cannot_be_retired(settings: Settings) -> None:
    (settings.secrets_dir).mkdir(parents=True, exist_ok=True, mode=0o700)
    (settings.secrets_dir / "SECRET_KEY").write_text(
        "cur:"
        + "Zm9vYmFyYmF6cXV4LWN1cnJlbnQta2V5LTAxMjM0NTY3OA"
        + ",old:"
        + "b2xkLWtleS1vbGQta2V5LW9sZC1rZXktMDEyMzQ1Njc4OQ"
    )
    (settings.secrets_dir / "SECRET_KEY").chmod(0o600)
    env = {
        "FACELESS_VAR_DIR": str(settings.paths.var_dir),
        "SECRETS_DIR": str(settings.secrets_dir),
    }
    result = CliRunner().invoke(cli, ["secrets", "rotate-jwt", "--retire", "cur"], env=env)
    assert result.exit_code == 1 and "is the current key" in result.stderr
    assert (settings.secrets_dir / "SECRET_KEY").read_text().startswith("cur:")  # unchanged
    steps = CliRunner().invoke(cli, ["secrets", "rotate-jwt"], env=env)
    assert steps.exit_code == 0
    assert "--retire" in steps.stdout and "REFRESH_TOKEN_SECONDS" in steps.stdout


def serve_env(tmp_path: Path) -> dict[str, str | None]:
    """The embedded default with file secrets, in ``tmp_path``."""
    return {
        "FACELESS_ENV": "development",
        "FACELESS_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'app.db'}",
        "SECRETS_BACKENDS": "files",
        "SECRETS_DIR": None,
        "REDIS_URL": None,
        "TRUSTED_PROXIES": "127.0.0.1",
        "RATE_LIMITS": "login=1000/minute",
    }


def serve_argv(port: int) -> list[str]:
    return [FACELESS, "serve", "--behind-proxy", "--host", "127.0.0.1", "--port", str(port)]


@pytest.mark.timeout(180)
def test_sighup_reloads_a_running_server(tmp_path: Path) -> None:
    env = serve_env(tmp_path)
    port = free_port()
    argv = serve_argv(port)
    with ManagedProcess(argv, env=env, name="serve-sighup", log_dir=tmp_path) as server:
        match = server.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=60)
        password = match.group(1)
        server.wait_for_port(port, timeout=60)
        credentials = {"username": "admin", "password": password}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            first = http.post("/api/v1/auth/login", json=credentials).json()["access_token"]
            cli_env = {**{k: v for k, v in env.items() if v is not None}}
            assert (
                CliRunner().invoke(cli, ["secrets", "rotate-jwt", "--write"], env=cli_env).exit_code
                == 0
            )
            reload = CliRunner().invoke(cli, ["secrets", "reload"], env=cli_env)
            assert reload.exit_code == 0, reload.output
            assert f"sent SIGHUP to {server.pid}" in reload.stdout
            deadline = time.monotonic() + 30
            while True:
                token = http.post("/api/v1/auth/login", json=credentials).json()["access_token"]
                if kid_of(token) != kid_of(first) or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert kid_of(token).startswith("jwt-")
            me = http.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {first}"})
            assert me.status_code == 200  # the old key is still in the ring
        assert server.is_running  # SIGHUP reloaded; it did not end the process


@pytest.mark.timeout(180)
def test_a_sighup_while_the_server_starts_neither_ends_it_nor_is_lost(tmp_path: Path) -> None:
    """`faceless secrets reload` may signal the pid file's process while the app is still
    starting (the file comes first): SIGHUP's default action used to end it there."""
    env = serve_env(tmp_path)
    port = free_port()
    pid_path = pid_file(tmp_path / "var")
    with ManagedProcess(
        serve_argv(port), env=env, name="serve-early-hup", log_dir=tmp_path
    ) as server:
        deadline = time.monotonic() + 60
        while read_pid(pid_path) is None and server.is_running() and time.monotonic() < deadline:
            time.sleep(0.005)
        assert read_pid(pid_path) == server.pid, server.output()
        os.kill(server.pid, signal.SIGHUP)
        server.wait_for_port(port, timeout=60)
        # Answered once the app could: before it, the signal was remembered, not dropped.
        server.wait_for_line(r'"event": "secrets\.reloaded"', timeout=30)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
            assert http.get("/health").status_code == 200
        assert server.is_running(), server.output()
