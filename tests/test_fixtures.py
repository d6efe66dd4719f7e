"""Self-tests for tests/fixtures: each helper starts a real service and we really use it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.fixtures import (
    ManagedProcess,
    PgauditNotInstalledError,
    PostgresCluster,
    PostgresError,
    ProcessExitedError,
    RedisServer,
    find_pg_bindir,
    free_port,
    port_is_open,
    wait_for_port,
)

TESTS_DIR = Path(__file__).resolve().parent


def no_retry() -> Retry:
    """redis-py retries 3 times with backoff by default; we want failures at once."""
    return Retry(NoBackoff(), 0)


def _pid_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie (PID 1 may not reap in containers)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _wait_dead(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


# -- ports ---------------------------------------------------------------------------


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 1024 < port < 65536
    assert not port_is_open("127.0.0.1", port)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_wait_for_port_times_out_with_clear_message() -> None:
    port = free_port()
    started = time.monotonic()
    with pytest.raises(TimeoutError, match=rf"127\.0\.0\.1:{port} within 0\.3s"):
        wait_for_port("127.0.0.1", port, timeout=0.3)
    assert time.monotonic() - started < 2


def test_wait_for_port_returns_when_listening() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        wait_for_port("127.0.0.1", sock.getsockname()[1], timeout=2)


# -- PostgreSQL ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pg() -> Iterator[PostgresCluster]:
    with PostgresCluster() as cluster:
        yield cluster


@pytest.mark.postgres
def test_postgres_create_database_and_table(pg: PostgresCluster) -> None:
    pg.create_database("fx_app")
    try:
        pg.psql(
            "CREATE TABLE items (id int PRIMARY KEY, name text NOT NULL);"
            "INSERT INTO items VALUES (1, 'one'), (2, 'two');",
            database="fx_app",
        )
        assert pg.psql("SELECT id, name FROM items ORDER BY id", database="fx_app") == (
            "1|one\n2|two\n"
        )
        pg.create_database("fx_copy", template="fx_app")
        assert pg.psql("SELECT count(*) FROM items", database="fx_copy").strip() == "2"
    finally:
        pg.drop_database("fx_copy")
        pg.drop_database("fx_app")
    assert pg.psql("SELECT datname FROM pg_database WHERE datname LIKE 'fx_%'") == ""


@pytest.mark.postgres
def test_postgres_settings_are_private_and_fast(pg: PostgresCluster) -> None:
    out = pg.psql(
        "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'port', "
        "'fsync', 'synchronous_commit', 'full_page_writes', 'logging_collector', "
        "'unix_socket_directories') ORDER BY name"
    )
    settings = dict(line.split("|", 1) for line in out.splitlines())
    assert settings == {
        "fsync": "off",
        "full_page_writes": "off",
        "listen_addresses": "127.0.0.1",
        "logging_collector": "on",
        "port": str(pg.port),
        "synchronous_commit": "off",
        "unix_socket_directories": str(pg.socket_dir),
    }
    assert pg.port != 5432
    assert pg.psql("SELECT version()").startswith("PostgreSQL 15")


@pytest.mark.postgres
def test_postgres_auth_is_scram_everywhere(pg: PostgresCluster) -> None:
    rules = pg.psql("SELECT type, auth_method FROM pg_hba_file_rules ORDER BY line_number")
    assert rules.splitlines() == ["local|scram-sha-256", "host|scram-sha-256"]
    hba = (pg.data_dir / "pg_hba.conf").read_text().splitlines()
    assert not [line for line in hba if "trust" in line and not line.startswith("#")]
    assert pg.superuser_password not in repr(pg)


@pytest.mark.postgres
async def test_postgres_tcp_login_needs_the_password(pg: PostgresCluster) -> None:
    conn = await asyncpg.connect(pg.dsn(driver=None))
    try:
        assert await conn.fetchval("SELECT current_user") == "postgres"
        assert await conn.fetchval("SELECT inet_server_addr()::text") == "127.0.0.1/32"
    finally:
        await conn.close()
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(pg.dsn(password="wrong", driver=None))
    with pytest.raises(
        (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError)
    ):
        await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{pg.port}/postgres")


@pytest.mark.postgres
async def test_postgres_dsn_works_with_sqlalchemy_and_new_roles(pg: PostgresCluster) -> None:
    assert pg.dsn("db1").startswith("postgresql+asyncpg://postgres:")
    assert pg.dsn("db1").endswith(f"@127.0.0.1:{pg.port}/db1")
    assert pg.dsn("x", user="u", password="p:@/", driver=None) == (
        f"postgresql://u:p%3A%40%2F@127.0.0.1:{pg.port}/x"
    )
    pg.create_role("fx_user", "s3cret'with quote")
    pg.create_database("fx_owned", owner="fx_user")
    try:
        engine = create_async_engine(pg.dsn("fx_owned", "fx_user", "s3cret'with quote"))
        try:
            async with engine.connect() as conn:
                user = await conn.scalar(text("SELECT current_user"))
                db = await conn.scalar(text("SELECT current_database()"))
                assert (user, db) == ("fx_user", "fx_owned")
        finally:
            await engine.dispose()
    finally:
        pg.drop_database("fx_owned")
        pg.psql("DROP ROLE fx_user;")


@pytest.mark.postgres
def test_postgres_psql_errors_raise(pg: PostgresCluster) -> None:
    with pytest.raises(PostgresError, match="does_not_exist"):
        pg.psql("SELECT * FROM does_not_exist")


@pytest.mark.postgres
def test_postgres_pgaudit_preload_and_log(tmp_path: Path) -> None:
    started = time.monotonic()
    cluster = PostgresCluster(
        preload_pgaudit=True, extra_conf={"pgaudit.log": "ddl", "log_line_prefix": "%m [%p] "}
    )
    with cluster:
        startup = time.monotonic() - started
        assert cluster.psql("SHOW shared_preload_libraries").strip() == "pgaudit"
        cluster.psql("CREATE EXTENSION pgaudit; CREATE TABLE audited_tbl (id int);")
        deadline = time.monotonic() + 5
        while "audited_tbl" not in cluster.read_log() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert "DDL,CREATE TABLE,TABLE,public.audited_tbl" in cluster.read_log()
        base, port = cluster.base_dir, cluster.port
        assert cluster.log_path().is_file()
    assert startup < 3, f"cluster start-up took {startup:.2f}s"
    # stop() removes everything but keeps the log readable.
    assert not base.exists()
    assert not port_is_open("127.0.0.1", port)
    assert "database system is shut down" in cluster.read_log()


@pytest.mark.postgres
def test_postgres_passwords_never_reach_the_server_log() -> None:
    conf = {"log_statement": "all", "pgaudit.log": "ddl,role"}
    with PostgresCluster(preload_pgaudit=True, extra_conf=conf) as cluster:
        cluster.create_role("fx_logged", "fx-plain-password-123")
        cluster.psql("SELECT 1")
        log = cluster.read_log()
        assert "CREATE ROLE" in log
        assert "SCRAM-SHA-256$" in log  # only the verifier is ever sent
        assert "fx-plain-password-123" not in log
        assert cluster.superuser_password not in log


@pytest.mark.postgres
def test_atexit_stops_forgotten_postgres_cluster() -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(TESTS_DIR.parent)!r})
        from tests.fixtures import PostgresCluster
        pg = PostgresCluster().start()
        pid = (pg.data_dir / "postmaster.pid").read_text().split()[0]
        print(pid, pg.base_dir, pg.port, flush=True)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    pid_text, base_dir, port = out.stdout.split()
    assert _wait_dead(int(pid_text))
    assert not Path(base_dir).exists()
    assert not port_is_open("127.0.0.1", int(port))
    assert out.stderr == ""


@pytest.mark.postgres
def test_postgres_missing_pgaudit_is_a_clear_error(tmp_path: Path) -> None:
    real_bindir = find_pg_bindir()
    fake_bindir = tmp_path / "bin"
    fake_bindir.mkdir()
    for tool in ("initdb", "pg_ctl", "psql", "postgres"):
        (fake_bindir / tool).symlink_to(real_bindir / tool)
    empty_libdir = tmp_path / "lib"
    empty_libdir.mkdir()
    pg_config = fake_bindir / "pg_config"
    pg_config.write_text(f"#!/bin/sh\necho {empty_libdir}\n")
    pg_config.chmod(0o755)
    cluster = PostgresCluster(preload_pgaudit=True, bindir=fake_bindir)
    with pytest.raises(PgauditNotInstalledError, match="postgresql-15-pgaudit"):
        cluster.start()
    assert not cluster.is_running()


# -- Redis -------------------------------------------------------------------------------


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.mark.redis
def test_redis_ping_set_get_with_password(redis_server: RedisServer) -> None:
    url = redis_server.url(3)
    assert url == f"redis://:{redis_server.password}@127.0.0.1:{redis_server.port}/3"
    assert redis_server.port != 6379
    with redis.Redis.from_url(url) as client:
        assert client.ping()
        client.set("k", "v")
        assert client.get("k") == b"v"
        redis_server.flushall()
        assert client.get("k") is None
    with (
        redis.Redis(host="127.0.0.1", port=redis_server.port, retry=no_retry()) as anon,
        pytest.raises(redis.AuthenticationError),
    ):
        anon.ping()
    assert redis_server.password not in repr(redis_server)
    # The password is in the 0600 config file, not on the command line.
    assert redis_server.pid is not None
    cmdline = Path(f"/proc/{redis_server.pid}/cmdline").read_bytes().decode()
    assert redis_server.password not in cmdline
    assert (redis_server.base_dir / "redis.conf").stat().st_mode & 0o777 == 0o600


@pytest.mark.redis
def test_redis_stop_and_start_on_same_port(redis_server: RedisServer) -> None:
    port = redis_server.port
    with redis.Redis.from_url(redis_server.url(), socket_timeout=2, retry=no_retry()) as client:
        client.set("before", "1")
        redis_server.stop()
        assert not redis_server.is_running()
        with pytest.raises(redis.ConnectionError, match=r"(?i)refused"):
            client.ping()
        started = time.monotonic()
        redis_server.start()
        restart = time.monotonic() - started
        assert redis_server.port == port
        assert client.ping()  # the client reconnects by itself
        assert client.get("before") is None  # no persistence
    assert restart < 2


@pytest.mark.redis
def test_redis_pause_simulates_a_hung_server(redis_server: RedisServer) -> None:
    with redis.Redis.from_url(redis_server.url(), socket_timeout=0.5, retry=no_retry()) as client:
        assert client.ping()
        redis_server.pause(30)
        try:
            started = time.monotonic()
            with pytest.raises(redis.TimeoutError):
                client.ping()
            assert time.monotonic() - started < 2
        finally:
            redis_server.resume()
        assert client.ping()
        redis_server.pause(0.3)  # resumes by itself
        time.sleep(0.6)
        assert client.ping()


@pytest.mark.redis
def test_redis_maxclients() -> None:
    with (
        RedisServer(maxclients=2) as server,
        server.client() as a,
        server.client() as b,
        server.client(retry=no_retry()) as c,
    ):
        assert a.ping()
        assert b.ping()
        with pytest.raises(redis.ConnectionError, match="max number of clients"):
            c.ping()


# -- ManagedProcess ----------------------------------------------------------------------


def test_managed_process_http_server(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hello from the child\n")
    port = free_port()
    proc = ManagedProcess(
        [sys.executable, "-u", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=tmp_path,
        env={"FX_MARKER": "1"},
        name="http",
    )
    with proc:
        proc.wait_for_port(port, timeout=10)
        match = proc.wait_for_line(r"Serving HTTP on \S+ port (\d+)", timeout=10)
        assert match.group(1) == str(port)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/hello.txt", timeout=5) as resp:
            assert resp.read() == b"hello from the child\n"
        proc.wait_for_line(r'"GET /hello.txt HTTP/1.1" 200', timeout=5, stream="stderr")
        assert proc.build_env()["FX_MARKER"] == "1"
        pid = proc.pid
        assert pid is not None
        log_dir = proc.log_dir
    assert proc.returncode is not None
    assert _wait_dead(pid)
    assert not port_is_open("127.0.0.1", port)
    assert not log_dir.exists()


def test_managed_process_sigkill_after_timeout_and_kills_group(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import signal, subprocess, sys, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        print("grandchild", child.pid, flush=True)
        time.sleep(60)
        """
    )
    with ManagedProcess([sys.executable, "-c", script], stop_timeout=0.5) as proc:
        grandchild = int(proc.wait_for_line(r"grandchild (\d+)", timeout=10).group(1))
        started = time.monotonic()
        code = proc.stop()
        assert time.monotonic() - started < 5
    assert code == -9
    assert _wait_dead(grandchild)


def test_managed_process_reports_early_exit() -> None:
    with ManagedProcess([sys.executable, "-c", "print('boom'); raise SystemExit(3)"]) as proc:
        with pytest.raises(ProcessExitedError, match=r"code 3[\s\S]*boom"):
            proc.wait_for_line("never printed", timeout=10)
        with pytest.raises(ProcessExitedError):
            proc.wait_for_port(free_port(), timeout=10)
        assert "boom" in proc.output()
        assert proc.wait() == 3


def test_managed_process_restart_and_output_since_start() -> None:
    with ManagedProcess([sys.executable, "-c", "print('run')"]) as proc:
        assert proc.wait(10) == 0
        proc.stop()
        proc.start()
        assert proc.wait(10) == 0
        assert proc.output("stdout") == "run\nrun\n"
        assert proc.output("stdout", since_start=True) == "run\n"


def test_atexit_stops_forgotten_processes(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(TESTS_DIR.parent)!r})
        from tests.fixtures import ManagedProcess
        p = ManagedProcess(["sleep", "60"]).start()
        print(p.pid, p.log_dir, flush=True)
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    pid_text, log_dir = out.stdout.split()
    assert _wait_dead(int(pid_text))
    assert not Path(log_dir).exists()
    assert out.stderr == ""
