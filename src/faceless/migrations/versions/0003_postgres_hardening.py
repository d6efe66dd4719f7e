"""postgres hardening: pgcrypto, pgaudit, least-privilege grants, an append-only audit trail

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:00:00

PostgreSQL only; a no-op on SQLite. See docs/adr/0010-postgres-hardening.md.

* Extensions ``pgcrypto`` and ``pgaudit``. pgaudit must be in ``shared_preload_libraries``
  (deploy/postgres/postgresql.conf); without it the migration stops with an error saying
  so, and because every revision runs in one transaction nothing is left half-applied.
  ``CREATE EXTENSION pgaudit`` needs a superuser: deploy/postgres/pg_audit_init.sh creates
  it before the (non-superuser) migration owner runs this.
* Roles ``faceless_runtime`` (NOLOGIN group of the runtime login) and ``pgaudit_admin``
  (NOLOGIN, no members, ``pgaudit.role``) are created when missing and the migration user
  has CREATEROLE; otherwise the init script must have created them (a warning says so
  and ``faceless db verify`` fails until they exist).
* Grants to ``faceless_runtime``: SELECT/INSERT/UPDATE/DELETE on every app table except
  ``audit_events`` (SELECT, INSERT) and ``audit_head`` (SELECT, UPDATE); USAGE on the
  sequences; nothing on ``alembic_version``. No TRUNCATE, no CREATE on schema ``public``.
  Later revisions that add a table grant on it the same way.
* Column-level object audit: ``pgaudit_admin`` holds SELECT/INSERT/UPDATE on the
  encrypted columns (users.email, videos.script, jobs.result), so pgaudit logs every
  statement touching them (with ``log_parameter = off``: without values).
* Database-level pgaudit settings (``pgaudit.role``, ``pgaudit.log = 'ddl, role,
  misc_set'``, ``log_parameter off``, ``log_relation on``, ``log_catalog off``,
  ``log_rows off``). They are superuser-only parameters: set here when the migration
  user may, otherwise by the init script.
* The audit guard: a trigger on ``audit_events`` refuses UPDATE, DELETE and TRUNCATE,
  and on ``audit_head`` DELETE and TRUNCATE, for every role including the owner and
  superusers, unless the session has turned on the documented maintenance setting::

      SET faceless.audit_maintenance = on;   -- this session only; pgaudit logs the SET

  It is an accident and insider guard, not a wall against a superuser (who can also
  disable triggers); the off-database export of the chain head covers that case.

The downgrade removes the trigger, the grants and the database settings, and drops the
roles and extensions when nothing else uses them and the migration user may.
"""

from collections.abc import Sequence
from logging import getLogger

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = getLogger("alembic.runtime.migration")

RUNTIME_GROUP = "faceless_runtime"
AUDIT_ROLE = "pgaudit_admin"

PGAUDIT_NOT_PRELOADED = (
    "pgaudit is not in shared_preload_libraries: add shared_preload_libraries = 'pgaudit' "
    "to postgresql.conf and restart (see deploy/postgres/)"
)

# Every statement is a literal: no SQL is assembled from strings here. Identifiers that
# vary (the database name) are quoted by the server with format('%I').
GUARD = (
    """
    CREATE OR REPLACE FUNCTION public.faceless_audit_guard() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog AS $guard$
    BEGIN
        IF coalesce(current_setting('faceless.audit_maintenance', true), '') = 'on' THEN
            IF TG_LEVEL = 'STATEMENT' THEN
                RETURN NULL;
            ELSIF TG_OP = 'DELETE' THEN
                RETURN OLD;
            END IF;
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'for deliberate maintenance: SET faceless.audit_maintenance = on';
    END
    $guard$
    """,
    "CREATE TRIGGER faceless_audit_guard_rows BEFORE UPDATE OR DELETE ON audit_events"
    " FOR EACH ROW EXECUTE FUNCTION public.faceless_audit_guard()",
    "CREATE TRIGGER faceless_audit_guard_truncate BEFORE TRUNCATE ON audit_events"
    " FOR EACH STATEMENT EXECUTE FUNCTION public.faceless_audit_guard()",
    "CREATE TRIGGER faceless_audit_head_guard_rows BEFORE DELETE ON audit_head"
    " FOR EACH ROW EXECUTE FUNCTION public.faceless_audit_guard()",
    "CREATE TRIGGER faceless_audit_head_guard_truncate BEFORE TRUNCATE ON audit_head"
    " FOR EACH STATEMENT EXECUTE FUNCTION public.faceless_audit_guard()",
)
DROP_GUARD = (
    "DROP TRIGGER IF EXISTS faceless_audit_guard_rows ON audit_events",
    "DROP TRIGGER IF EXISTS faceless_audit_guard_truncate ON audit_events",
    "DROP TRIGGER IF EXISTS faceless_audit_head_guard_rows ON audit_head",
    "DROP TRIGGER IF EXISTS faceless_audit_head_guard_truncate ON audit_head",
    "DROP FUNCTION IF EXISTS public.faceless_audit_guard()",
)

CREATE_ROLE = {
    RUNTIME_GROUP: "CREATE ROLE faceless_runtime NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
    AUDIT_ROLE: "CREATE ROLE pgaudit_admin NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE",
}
DROP_ROLE = {RUNTIME_GROUP: "DROP ROLE faceless_runtime", AUDIT_ROLE: "DROP ROLE pgaudit_admin"}

# The tables as of this revision (a migration is a snapshot: it imports no models).
RUNTIME_GRANTS = (
    "GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttles, users, auth_sessions,"
    " refresh_tokens, videos, jobs, schedules TO faceless_runtime",
    "GRANT SELECT, INSERT ON audit_events TO faceless_runtime",
    "GRANT SELECT, UPDATE ON audit_head TO faceless_runtime",
    "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO faceless_runtime",
)
RUNTIME_REVOKES = (
    "REVOKE ALL ON login_throttles, users, auth_sessions, refresh_tokens, videos, jobs,"
    " schedules, audit_events, audit_head FROM faceless_runtime",
    "REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM faceless_runtime",
)
AUDIT_GRANTS = (
    "GRANT SELECT (email), INSERT (email), UPDATE (email) ON users TO pgaudit_admin",
    "GRANT SELECT (script), INSERT (script), UPDATE (script) ON videos TO pgaudit_admin",
    "GRANT SELECT (result), INSERT (result), UPDATE (result) ON jobs TO pgaudit_admin",
)
AUDIT_REVOKES = (
    "REVOKE SELECT (email), INSERT (email), UPDATE (email) ON users FROM pgaudit_admin",
    "REVOKE SELECT (script), INSERT (script), UPDATE (script) ON videos FROM pgaudit_admin",
    "REVOKE SELECT (result), INSERT (result), UPDATE (result) ON jobs FROM pgaudit_admin",
)

# pgaudit's parameters are superuser-only (PGC_SUSET), hence the guard below.
DATABASE_SETTINGS = """
DO $settings$
DECLARE
    db text := quote_ident(current_database());
BEGIN
    EXECUTE format('ALTER DATABASE %s SET pgaudit.role = %L', db, 'pgaudit_admin');
    EXECUTE format('ALTER DATABASE %s SET pgaudit.log = %L', db, 'ddl, role, misc_set');
    EXECUTE format('ALTER DATABASE %s SET pgaudit.log_parameter = off', db);
    EXECUTE format('ALTER DATABASE %s SET pgaudit.log_relation = on', db);
    EXECUTE format('ALTER DATABASE %s SET pgaudit.log_catalog = off', db);
    EXECUTE format('ALTER DATABASE %s SET pgaudit.log_rows = off', db);
END
$settings$
"""
RESET_DATABASE_SETTINGS = """
DO $settings$
DECLARE
    db text := quote_ident(current_database());
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['pgaudit.role', 'pgaudit.log', 'pgaudit.log_parameter',
                                'pgaudit.log_relation', 'pgaudit.log_catalog',
                                'pgaudit.log_rows']
    LOOP
        EXECUTE format('ALTER DATABASE %s RESET %s', db, name);
    END LOOP;
END
$settings$
"""


def _me(bind: Connection) -> sa.Row[tuple[bool, bool]]:
    return bind.execute(
        sa.text("SELECT rolsuper, rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).one()


def _role_exists(bind: Connection, name: str) -> bool:
    found = bind.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found is not None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    # pgaudit registers its settings only when preloaded (a placeholder is not listed).
    preloaded = bind.scalar(sa.text("SELECT count(*) FROM pg_settings WHERE name = 'pgaudit.log'"))
    if not preloaded:
        raise RuntimeError(PGAUDIT_NOT_PRELOADED)
    me = _me(bind)
    op.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")
    has_pgaudit = bind.scalar(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pgaudit'"))
    if not has_pgaudit and not me.rolsuper:
        raise RuntimeError(
            "CREATE EXTENSION pgaudit needs a superuser: run deploy/postgres/pg_audit_init.sh "
            "(or CREATE EXTENSION pgaudit as a superuser), then migrate again"
        )
    op.execute("CREATE EXTENSION IF NOT EXISTS pgaudit")

    # Nobody but the schema owner creates objects in public (PostgreSQL 15's default).
    op.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    for statement in GUARD:
        op.execute(statement)

    for role, create in CREATE_ROLE.items():
        if _role_exists(bind, role):
            continue
        if me.rolsuper or me.rolcreaterole:
            op.execute(create)
        else:
            log.warning(
                "role %s does not exist and the migration user cannot create it (no "
                "CREATEROLE): its grants are skipped; run deploy/postgres/pg_audit_init.sh "
                "and migrate again (faceless db verify fails until then)",
                role,
            )
    if _role_exists(bind, RUNTIME_GROUP):
        for statement in RUNTIME_GRANTS:
            op.execute(statement)
    if _role_exists(bind, AUDIT_ROLE):
        for statement in AUDIT_GRANTS:
            op.execute(statement)

    if me.rolsuper:
        op.execute(DATABASE_SETTINGS)
    else:
        log.warning(
            "the database-level pgaudit settings are superuser-only: left to "
            "deploy/postgres/pg_audit_init.sh (faceless db verify shows them)"
        )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    me = _me(bind)
    if me.rolsuper:
        op.execute(RESET_DATABASE_SETTINGS)
    for statement in DROP_GUARD:
        op.execute(statement)
    if _role_exists(bind, AUDIT_ROLE):
        for statement in AUDIT_REVOKES:
            op.execute(statement)
    if _role_exists(bind, RUNTIME_GROUP):
        for statement in RUNTIME_REVOKES:
            op.execute(statement)
    for role in (AUDIT_ROLE, RUNTIME_GROUP):
        _drop_role_if_unused(bind, role, may=bool(me.rolsuper or me.rolcreaterole))
    # No CASCADE: an extension something else depends on stays.
    if me.rolsuper:
        op.execute("DROP EXTENSION IF EXISTS pgaudit")
    else:
        log.warning("extension pgaudit kept: dropping it needs a superuser")
    op.execute("DROP EXTENSION IF EXISTS pgcrypto")


def _drop_role_if_unused(bind: Connection, role: str, *, may: bool) -> None:
    """Roles are cluster-wide: keep one that another database or a member still uses."""
    if not _role_exists(bind, role):
        return
    used = bind.scalar(
        sa.text(
            "SELECT (SELECT count(*) FROM pg_shdepend d"
            "        WHERE d.refclassid = 'pg_authid'::regclass AND d.refobjid = r.oid)"
            "     + (SELECT count(*) FROM pg_auth_members m WHERE m.roleid = r.oid)"
            " FROM pg_roles r WHERE r.rolname = :role"
        ),
        {"role": role},
    )
    if used or not may:
        log.warning("role %s kept: still used elsewhere in the cluster, or no CREATEROLE", role)
        return
    op.execute(DROP_ROLE[role])
