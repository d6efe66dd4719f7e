"""``faceless db verify`` and the pgaudit requirement of the migrations.

Passes on a cluster set up by deploy/postgres; fails, naming the checks, on a plain
PostgreSQL without pgaudit (where the migrations refuse to run) and on privilege drift.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from faceless.db.migrate import upgrade
from faceless.db.verify.runner import Status, run_checks
from faceless.runtime.container import build_runtime
from faceless.security.tls.certs import CertPaths, generate
from tests.conftest import make_settings
from tests.db.hardened import (
    HardenedDatabase,
    faceless_cli,
    hardened_cluster,
    hardened_database,
    lines_by_check,
)
from tests.fixtures import PostgresCluster

POSTGRES_CHECKS = [
    "postgres.connect",
    "postgres.extensions",
    "pgaudit.preloaded",
    "pgaudit.settings",
    "pgaudit.object_audit",
    "postgres.logging",
    "postgres.tls",
    "runtime.attributes",
    "runtime.privileges",
    "runtime.no_ddl",
    "audit.append_only",
    "audit.guard",
]
ALL_CHECKS = [*POSTGRES_CHECKS, "encryption.round_trip", "audit.chain"]


@pytest.fixture(scope="module")
def plain_pg() -> Iterator[PostgresCluster]:
    """PostgreSQL as packaged: no pgaudit preloaded."""
    with PostgresCluster() as cluster:
        yield cluster


@pytest.mark.postgres
def test_db_verify_passes_on_the_hardened_cluster(
    hardened_db: HardenedDatabase, tmp_path: Path
) -> None:
    result = faceless_cli(
        "db",
        "verify",
        database_url=hardened_db.app_url,
        var_dir=tmp_path / "var",
        secrets_dir=tmp_path / "secrets",
    )
    checks = lines_by_check(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert list(checks) == ALL_CHECKS
    assert {name for name, (status, _) in checks.items() if status != "PASS"} == {"postgres.tls"}
    assert checks["postgres.tls"] == (
        "SKIP",
        "not asked for by DATABASE_URL; no TLS on this connection",
    )
    # The evidence is on the line.
    assert "pgcrypto 1.3, pgaudit 1.7" in checks["postgres.extensions"][1]
    assert "log='ddl, role, misc_set'" in checks["pgaudit.settings"][1]
    assert "log_parameter='off'" in checks["pgaudit.settings"][1]
    assert "users.email, videos.script, jobs.result" in checks["pgaudit.object_audit"][1]
    assert "member of: faceless_runtime" in checks["runtime.attributes"][1]
    assert (
        "CREATE TABLE: refused (permission denied for schema public)"
        in (checks["runtime.no_ddl"][1])
    )
    assert "TRUNCATE audit_events: refused" in checks["audit.append_only"][1]
    assert result.stdout.strip().endswith("all 13 checks passed")


@pytest.mark.postgres
def test_migrations_refuse_a_cluster_without_pgaudit(plain_pg: PostgresCluster) -> None:
    name = "m_" + uuid.uuid4().hex[:8]
    plain_pg.create_database(name)
    with pytest.raises(RuntimeError) as caught:
        upgrade(plain_pg.dsn(name))
    assert str(caught.value) == (
        "pgaudit is not in shared_preload_libraries: add shared_preload_libraries = 'pgaudit' "
        "to postgresql.conf and restart (see deploy/postgres/)"
    )
    # One transaction: nothing of 0001-0003 is left behind.
    tables = plain_pg.psql(
        "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace", name
    )
    assert tables.strip() == "0"
    plain_pg.drop_database(name)


@pytest.mark.postgres
def test_db_verify_fails_on_a_plain_cluster_naming_the_checks(
    plain_pg: PostgresCluster, tmp_path: Path
) -> None:
    name = "v_" + uuid.uuid4().hex[:8]
    plain_pg.create_database(name)
    upgrade(plain_pg.dsn(name), "0002")  # as far as a cluster without pgaudit gets
    result = faceless_cli(
        "db",
        "verify",
        database_url=plain_pg.dsn(name),  # the superuser: a misconfiguration verify names
        var_dir=tmp_path / "var",
        secrets_dir=tmp_path / "secrets",
    )
    checks = lines_by_check(result.stdout)
    assert result.returncode == 1
    assert list(checks) == ALL_CHECKS
    failed = {n for n, (status, _) in checks.items() if status == "FAIL"}
    assert {
        "postgres.extensions",
        "pgaudit.preloaded",
        "pgaudit.settings",
        "pgaudit.object_audit",
        "postgres.logging",
        "runtime.attributes",
        "runtime.no_ddl",
        "audit.append_only",
        "audit.guard",
    } <= failed
    assert checks["pgaudit.preloaded"][1].startswith(
        "no pgaudit.* parameters registered: pgaudit is not in shared_preload_libraries"
    )
    assert "missing: pgcrypto, pgaudit" in checks["postgres.extensions"][1]
    assert checks["runtime.attributes"][1].startswith("has SUPERUSER, CREATEROLE, CREATEDB")
    assert "CREATE TABLE: ALLOWED" in checks["runtime.no_ddl"][1]
    assert checks["encryption.round_trip"][0] == checks["audit.chain"][0] == "PASS"
    assert "check(s) failed: " in result.stderr and "pgaudit.preloaded" in result.stderr
    # The probes that were allowed ran in a transaction that was rolled back.
    leftovers = plain_pg.psql(
        "SELECT count(*) FROM pg_class WHERE relname = 'faceless_verify_probe'", name
    )
    assert leftovers.strip() == "0"
    assert plain_pg.psql("SELECT count(*) FROM login_throttles", name).strip() == "0"
    plain_pg.drop_database(name)


@pytest.mark.postgres
async def test_db_verify_notices_privilege_drift(
    hardened_pg: PostgresCluster, tmp_path: Path
) -> None:
    db = await asyncio.to_thread(hardened_database, hardened_pg, "drift_" + uuid.uuid4().hex[:8])
    hardened_pg.psql(
        "INSERT INTO login_throttles (username, failures) VALUES ('kept', 1);"
        " GRANT TRUNCATE ON login_throttles TO faceless_runtime;"
        " ALTER TABLE audit_events DISABLE TRIGGER faceless_audit_guard_rows;",
        db.name,
    )
    services = build_runtime(make_settings(tmp_path, db.app_url))
    try:
        checks = {c.name: c for c in await run_checks(services)}
    finally:
        await services.close()
    assert checks["runtime.privileges"].status is Status.FAIL
    assert "login_throttles: holds TRUNCATE" in checks["runtime.privileges"].evidence
    assert checks["runtime.no_ddl"].status is Status.FAIL
    assert checks["runtime.no_ddl"].evidence == "TRUNCATE: ALLOWED (rolled back)"
    assert checks["audit.guard"].status is Status.FAIL
    assert "faceless_audit_guard_rows missing or disabled" in checks["audit.guard"].evidence
    # The TRUNCATE that got through was rolled back.
    assert hardened_pg.psql("SELECT username FROM login_throttles", db.name).split() == ["kept"]
    hardened_pg.drop_database(db.name)


async def test_db_verify_on_sqlite_skips_the_postgres_checks(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'faceless.db'}"
    await asyncio.to_thread(upgrade, url)
    result = await asyncio.to_thread(
        faceless_cli,
        "db",
        "verify",
        database_url=url,
        var_dir=tmp_path / "var",
        secrets_dir=tmp_path / "secrets",
    )
    checks = lines_by_check(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert [n for n, (status, _) in checks.items() if status == "SKIP"] == POSTGRES_CHECKS
    assert checks["encryption.round_trip"][0] == "PASS"
    assert checks["audit.chain"] == ("PASS", "intact: 0 entries")


@pytest.fixture(scope="module")
def tls_files() -> Iterator[Path]:
    """A CA and a server certificate for 127.0.0.1, readable by the server's OS user only."""
    directory = Path(tempfile.mkdtemp(prefix="faceless-pgtls-", dir="/tmp"))
    try:
        directory.chmod(0o755)
        generate(CertPaths(directory))
        if os.geteuid() == 0:  # the server runs as the postgres OS user
            owner = pwd.getpwnam("postgres")
            for name in ("cert.pem", "key.pem"):
                os.chown(directory / name, owner.pw_uid, owner.pw_gid)
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.mark.postgres
async def test_db_verify_checks_tls_when_the_url_asks_for_it(
    tls_files: Path, tmp_path: Path
) -> None:
    conf = {
        "ssl": "on",
        "ssl_cert_file": str(tls_files / "cert.pem"),
        "ssl_key_file": str(tls_files / "key.pem"),
        "ssl_min_protocol_version": "TLSv1.2",
    }
    with hardened_cluster(**conf) as pg:
        db = await asyncio.to_thread(hardened_database, pg, "tls")
        ca = tls_files / "ca.pem"
        for url, expected in (
            (f"{db.app_url}?sslmode=verify-full&sslrootcert={ca}", "PASS"),
            (db.app_url + "?ssl=disable", "SKIP"),
        ):
            services = build_runtime(make_settings(tmp_path, url))
            try:
                checks = {c.name: c for c in await run_checks(services)}
            finally:
                await services.close()
            assert checks["postgres.tls"].status == expected, checks["postgres.tls"]
            failed = [c for c in checks.values() if c.status is Status.FAIL]
            assert failed == []
        assert checks["postgres.tls"].evidence.endswith("no TLS on this connection")

    # Asked for but not offered: no connection, so every PostgreSQL check fails.
    with hardened_cluster() as plain_tls:
        db = await asyncio.to_thread(hardened_database, plain_tls, "notls")
        services = build_runtime(make_settings(tmp_path, db.app_url + "?sslmode=require"))
        try:
            checks = {c.name: c for c in await run_checks(services)}
        finally:
            await services.close()
    assert checks["postgres.connect"].status is Status.FAIL
    assert all(checks[name].status is Status.FAIL for name in POSTGRES_CHECKS)
