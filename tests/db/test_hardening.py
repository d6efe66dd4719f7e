"""Least privilege, pgaudit and the append-only audit trail on a hardened PostgreSQL.

The cluster runs deploy/postgres/postgresql.conf; pg_audit_init.sh created the roles; the
migrations ran as the non-superuser owner; the app runs as the runtime login.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from pathlib import Path

import pytest

from faceless.db.audit.verify import verify_chain
from faceless.db.roles import AUDIT_COLUMNS
from faceless.db.session import transaction
from faceless.models import Role
from tests.conftest import PASSWORD, create_account, make_settings, running_app
from tests.db.hardened import (
    APP,
    APP_PASSWORD,
    OWNER,
    OWNER_PASSWORD,
    HardenedDatabase,
    faceless_cli,
    hardened_database,
    lines_by_check,
    psql_as,
)
from tests.fixtures import PostgresCluster, PostgresError

pytestmark = pytest.mark.postgres

# What the runtime login tries; each must be refused with (part of) this message.
FORBIDDEN = [
    ("CREATE TABLE probe (id int)", "permission denied for schema public"),
    ("CREATE SCHEMA probe", "permission denied for database"),
    ("CREATE TEMP TABLE probe (id int)", "permission denied to create temporary tables"),
    ("ALTER TABLE videos ADD COLUMN probe int", "must be owner of table videos"),
    ("DROP TABLE videos", "must be owner of table videos"),
    ("DROP TABLE audit_events", "must be owner of table audit_events"),
    ("TRUNCATE videos", "permission denied for table videos"),
    ("TRUNCATE audit_events", "permission denied for table audit_events"),
    ("UPDATE audit_events SET outcome = 'forged'", "permission denied for table audit_events"),
    ("DELETE FROM audit_events", "permission denied for table audit_events"),
    ("DELETE FROM audit_head", "permission denied for table audit_head"),
    ("ALTER TABLE audit_events DISABLE TRIGGER USER", "must be owner of table audit_events"),
    ("SET faceless.audit_maintenance = on; DELETE FROM audit_events", "permission denied"),
    ("ALTER ROLE faceless_app CREATEDB", "permission denied"),
]

SNAPSHOT = """
SELECT count(*), md5(coalesce(string_agg(hash, ',' ORDER BY id), '')) FROM audit_events;
SELECT last_id, last_hash FROM audit_head;
SELECT count(*) FROM videos;
SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class
  WHERE relnamespace = 'public'::regnamespace;
SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
  WHERE attrelid = 'videos'::regclass AND attnum > 0;
SELECT string_agg(tgname::text || tgenabled::text, ',' ORDER BY tgname) FROM pg_trigger
  WHERE tgrelid = 'audit_events'::regclass;
"""


async def _write_through_the_app(db: HardenedDatabase, tmp_path: Path) -> None:
    """The app as the runtime login: a user with an e-mail, a video, audit events."""
    tag = uuid.uuid4().hex[:6]
    settings = make_settings(tmp_path, db.app_url)
    async with running_app(settings) as (services, client):
        await create_account(services, f"admin{tag}", Role.ADMIN)
        login = await client.post(
            "/api/v1/auth/login", json={"username": f"admin{tag}", "password": PASSWORD}
        )
        assert login.status_code == 200, login.text
        admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = await client.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": f"editor{tag}",
                "password": PASSWORD,
                "role": "editor",
                "email": "hard.editor@example.org",
            },
        )
        assert created.status_code == 201, created.text
        video = await client.post(
            "/api/v1/videos", headers=admin, json={"title": "t", "script": "hardened script"}
        )
        assert video.status_code == 201, video.text


async def test_init_script_creates_least_privilege_roles(hardened_db: HardenedDatabase) -> None:
    pg = hardened_db.cluster
    roles = pg.psql(
        "SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin,"
        " left(rolpassword, 14) FROM pg_authid"
        " WHERE rolname IN ('faceless_owner', 'faceless_app', 'faceless_runtime',"
        " 'pgaudit_admin') ORDER BY rolname",
        hardened_db.name,
    ).split()
    assert roles == [
        "faceless_app|f|f|f|t|SCRAM-SHA-256$",
        "faceless_owner|f|f|f|t|SCRAM-SHA-256$",
        "faceless_runtime|f|f|f|f|",
        "pgaudit_admin|f|f|f|f|",
    ]
    members = pg.psql(
        "SELECT g.rolname || '>' || m.rolname FROM pg_auth_members a"
        " JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member"
        " WHERE g.rolname IN ('faceless_runtime', 'pgaudit_admin', 'faceless_owner')"
        " OR m.rolname = 'faceless_app'",
        hardened_db.name,
    ).split()
    # The runtime login belongs to its group only; the audit role has no members.
    assert members == ["faceless_runtime>faceless_app"]
    assert pg.psql(
        "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension", hardened_db.name
    ).split() == ["pgaudit,pgcrypto,plpgsql"]
    owner = pg.psql(
        "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()",
        hardened_db.name,
    )
    assert owner.strip() == OWNER
    # Only verifiers were sent: no password reached the server or its logs.
    log = pg.read_log()
    assert OWNER_PASSWORD not in log and APP_PASSWORD not in log


async def test_runtime_role_cannot_change_the_schema_or_the_audit_trail(
    hardened_db: HardenedDatabase, tmp_path: Path
) -> None:
    await _write_through_the_app(hardened_db, tmp_path)
    before = hardened_db.cluster.psql(SNAPSHOT, hardened_db.name)
    assert before.split("\n", 1)[0].split("|")[0] != "0"  # there is an audit trail to guard
    for statement, refusal in FORBIDDEN:
        result = hardened_db.psql_as_app(statement)
        assert result.returncode != 0, f"{statement!r} was allowed"
        assert refusal in result.stderr, (statement, result.stderr)
    assert hardened_db.cluster.psql(SNAPSHOT, hardened_db.name) == before
    # ...while what the app needs works, and the audit trail is readable and appendable.
    allowed = hardened_db.psql_as_app(
        "SELECT count(*) > 0 FROM audit_events; BEGIN; UPDATE videos SET title = title;"
        " DELETE FROM login_throttles; ROLLBACK;"
    )
    assert allowed.returncode == 0, allowed.stderr
    assert allowed.stdout.split()[0] == "t"


async def test_pgaudit_logs_ddl_and_writes_to_encrypted_columns_without_values(
    hardened_db: HardenedDatabase, tmp_path: Path
) -> None:
    await _write_through_the_app(hardened_db, tmp_path / "second")
    lines = hardened_db.cluster.read_log().splitlines()
    audit = [line for line in lines if "AUDIT: " in line]
    # DDL by the migration owner (session audit), with the object named.
    assert any(
        f"{OWNER}@{hardened_db.name}" in line
        and "AUDIT: SESSION," in line
        and ",DDL,CREATE TABLE,TABLE,public.videos," in line
        for line in audit
    )
    # Writes of the encrypted columns by the app (object audit through pgaudit_admin).
    for table in ("users", "videos"):
        writes = [
            line
            for line in audit
            if f"{APP}@{hardened_db.name}" in line
            and "AUDIT: OBJECT," in line
            and f",WRITE,INSERT,TABLE,public.{table}," in line
        ]
        assert writes, f"no object audit line for INSERT into {table}"
        # log_parameter = off: the statement, never the bound values.
        assert all(line.endswith("<not logged>") for line in writes), writes[:1]
    # Signal, not noise: of the app's statements only those on encrypted columns are logged,
    # not sessions, tokens, throttles or the audit trail's own appends.
    by_app = [line for line in audit if f"{APP}@{hardened_db.name}" in line]
    tables = {m for line in by_app for m in re.findall(r",TABLE,(public\.\w+),", line)}
    assert {"public.users", "public.videos"} <= tables <= {f"public.{t}" for t in AUDIT_COLUMNS}
    # Besides object audit only SET is (the maintenance switch tried by another test).
    others = [line for line in by_app if "AUDIT: OBJECT," not in line]
    assert [line for line in others if ",MISC,SET," not in line] == []
    log = "\n".join(lines)
    assert "hard.editor@example.org" not in log and "hardened script" not in log


async def test_audit_trail_guard_and_tamper_detection(
    hardened_pg: PostgresCluster, tmp_path: Path
) -> None:
    db = await asyncio.to_thread(hardened_database, hardened_pg, "tamper_" + uuid.uuid4().hex[:8])
    await _write_through_the_app(db, tmp_path)
    pg = db.cluster
    entries = int(pg.psql("SELECT count(*) FROM audit_events", db.name))
    assert entries >= 3
    original = pg.psql("SELECT target, hash FROM audit_events WHERE id = 2", db.name)

    # Without the maintenance switch nobody rewrites it: not the superuser, not the owner.
    for statement in (
        "UPDATE audit_events SET target = 'forged' WHERE id = 2",
        "DELETE FROM audit_events WHERE id = 2",
        "TRUNCATE audit_events",
        "DELETE FROM audit_head",
    ):
        with pytest.raises(PostgresError, match="the audit trail is append-only"):
            pg.psql(statement, db.name)
        as_owner = psql_as(pg, OWNER, OWNER_PASSWORD, statement, db.name)
        assert "the audit trail is append-only" in as_owner.stderr, statement
    assert pg.psql("SELECT target, hash FROM audit_events WHERE id = 2", db.name) == original
    assert int(pg.psql("SELECT count(*) FROM audit_events", db.name)) == entries

    # With it (a deliberate, audited act), a superuser can; verification names the row.
    pg.psql(
        "SET faceless.audit_maintenance = on;"
        " UPDATE audit_events SET target = 'forged' WHERE id = 2;",
        db.name,
    )
    settings = make_settings(tmp_path, db.app_url)
    async with (
        running_app(settings) as (services, _),
        transaction(services.sessions) as session,
    ):
        report = await verify_chain(session)
    assert (report.valid, report.first_bad_id) == (False, 2)
    assert "AUDIT: SESSION," in pg.read_log()
    assert any(
        ",MISC,SET,,,SET faceless.audit_maintenance = on" in line
        for line in pg.read_log().splitlines()
    )

    audit = faceless_cli(
        "audit",
        "verify",
        database_url=db.app_url,
        var_dir=tmp_path / "var",
        secrets_dir=tmp_path / "secrets",
    )
    assert audit.returncode == 1 and "BROKEN at entry 2" in audit.stderr, audit.stderr
    verify = faceless_cli(
        "db",
        "verify",
        database_url=db.app_url,
        var_dir=tmp_path / "var",
        secrets_dir=tmp_path / "secrets",
    )
    checks = lines_by_check(verify.stdout)
    assert verify.returncode == 1, verify.stdout
    assert checks["audit.chain"][0] == "FAIL" and "entry 2" in checks["audit.chain"][1]
    assert "check(s) failed: audit.chain" in verify.stderr, verify.stdout
    pg.drop_database(db.name)
