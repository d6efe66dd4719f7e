"""A database set up the production way: deploy/postgres on a private cluster.

The cluster runs with deploy/postgres/postgresql.conf, pg_audit_init.sh creates the
roles and extensions as the superuser, the migrations run as the (non-superuser)
migration owner and the app connects as the runtime login.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from faceless.db.migrate import upgrade
from tests.fixtures import PostgresCluster

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy" / "postgres"
FACELESS = str(Path(sys.executable).with_name("faceless"))
OWNER, OWNER_PASSWORD = "faceless_owner", "owner-Password-for-tests-1"
APP, APP_PASSWORD = "faceless_app", "app-Password-for-tests-2"
# Session id, user and database on every line: pgaudit lines name who did what.
LOG_PREFIX = {"log_line_prefix": "%m [%p] %u@%d "}


def deploy_conf() -> dict[str, str]:
    """deploy/postgres/postgresql.conf as settings, to run the test cluster with it."""
    conf = {}
    for line in (DEPLOY / "postgresql.conf").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if match := re.fullmatch(r"([\w.]+)\s*=\s*'?([^']*)'?", line):
            conf[match[1]] = match[2]
    return conf


def hardened_cluster(**extra: str) -> PostgresCluster:
    return PostgresCluster(
        preload_pgaudit=True, extra_conf={**deploy_conf(), **LOG_PREFIX, **extra}
    )


def run_init_script(cluster: PostgresCluster, database: str) -> subprocess.CompletedProcess[str]:
    """deploy/postgres/pg_audit_init.sh as the image's entrypoint runs it (superuser, socket)."""
    env = {
        "PATH": f"{cluster.bindir}:{os.environ['PATH']}",
        "PGHOST": str(cluster.socket_dir),
        "PGPORT": str(cluster.port),
        "PGPASSWORD": cluster.superuser_password,
        "POSTGRES_USER": cluster.superuser,
        "POSTGRES_DB": database,
        "POSTGRES_OWNER_PASSWORD": OWNER_PASSWORD,
        "POSTGRES_APP_PASSWORD": APP_PASSWORD,
    }
    return subprocess.run(
        [str(DEPLOY / "pg_audit_init.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


@dataclass(frozen=True)
class HardenedDatabase:
    cluster: PostgresCluster
    name: str

    @property
    def owner_url(self) -> str:
        return self.cluster.dsn(self.name, user=OWNER, password=OWNER_PASSWORD)

    @property
    def app_url(self) -> str:
        return self.cluster.dsn(self.name, user=APP, password=APP_PASSWORD)

    def psql_as_app(self, sql: str) -> subprocess.CompletedProcess[str]:
        """psql over TCP as the runtime login; the caller checks the outcome."""
        return psql_as(self.cluster, APP, APP_PASSWORD, sql, self.name)


def hardened_database(cluster: PostgresCluster, name: str) -> HardenedDatabase:
    cluster.create_database(name)
    run_init_script(cluster, name)
    upgrade(cluster.dsn(name, user=OWNER, password=OWNER_PASSWORD))
    return HardenedDatabase(cluster, name)


def psql_as(
    cluster: PostgresCluster, user: str, password: str, sql: str, database: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(cluster.bindir / "psql") if cluster.bindir else "psql",
            "--no-psqlrc",
            "--no-align",
            "--tuples-only",
            "--set=ON_ERROR_STOP=1",
            f"--host={cluster.host}",
            f"--port={cluster.port}",
            f"--username={user}",
            f"--dbname={database}",
            "--file=-",
        ],
        input=sql,
        env={"PATH": os.environ["PATH"], "PGPASSWORD": password, "LC_ALL": "C.UTF-8"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def faceless_cli(
    *args: str, database_url: str, var_dir: Path, secrets_dir: Path
) -> subprocess.CompletedProcess[str]:
    """The installed ``faceless`` command with a clean, explicit environment."""
    env = {
        "PATH": os.environ["PATH"],
        "LC_ALL": "C.UTF-8",
        "FACELESS_ENV": "development",
        "DATABASE_URL": database_url,
        "FACELESS_VAR_DIR": str(var_dir),
        "SECRETS_BACKENDS": "files",
        "SECRETS_DIR": str(secrets_dir),
    }
    return subprocess.run(
        [FACELESS, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def lines_by_check(output: str) -> dict[str, tuple[str, str]]:
    """``faceless db verify`` output: check name -> (status, evidence)."""
    found = {}
    for line in output.splitlines():
        if match := re.match(r"(PASS|FAIL|SKIP)\s+(\S+)\s+(.*)", line):
            found[match[2]] = (match[1], match[3])
    return found
