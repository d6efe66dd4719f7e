"""The PostgreSQL checks of ``faceless db verify``, run as the runtime role.

See :mod:`faceless.db.verify.runner` for the design. Each function takes the runtime role's
connection and returns one :class:`~faceless.db.verify.check.Check`; the caller rolls back
after each, so a failed statement never poisons the next check.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from faceless.db.base import Base
from faceless.db.roles import AUDIT_COLUMNS, AUDIT_ROLE, CHECKED_PRIVILEGES, runtime_policy
from faceless.db.verify.check import Check, Status, VerifyTarget, db_error, passed_if
from faceless.models import AuditEvent  # noqa: F401  (registers every table)
from faceless.settings import Environment

__all__ = ["POSTGRES_CHECKS"]


DDL_PROBES = (
    ("CREATE TABLE", "CREATE TABLE faceless_verify_probe (id integer)"),
    ("CREATE SCHEMA", "CREATE SCHEMA faceless_verify_probe"),
    ("ALTER TABLE", "ALTER TABLE videos ADD COLUMN faceless_verify_probe integer"),
    ("DROP TABLE", "DROP TABLE login_throttles"),
    ("TRUNCATE", "TRUNCATE login_throttles"),
)
AUDIT_PROBES = (
    ("UPDATE audit_events", "UPDATE audit_events SET outcome = outcome"),
    ("DELETE audit_events", "DELETE FROM audit_events"),
    ("TRUNCATE audit_events", "TRUNCATE audit_events"),
    ("DELETE audit_head", "DELETE FROM audit_head"),
)
GUARD_TRIGGERS = frozenset(
    {
        "audit_events.faceless_audit_guard_rows",
        "audit_events.faceless_audit_guard_truncate",
        "audit_head.faceless_audit_head_guard_rows",
        "audit_head.faceless_audit_head_guard_truncate",
    }
)
TLS_MODES = frozenset({"require", "verify-ca", "verify-full", "true"})


async def _settings(conn: AsyncConnection, pattern: str) -> dict[str, str]:
    rows = await conn.execute(
        text("SELECT name, setting FROM pg_settings WHERE name LIKE :p"), {"p": pattern}
    )
    return {str(name): str(value) for name, value in rows}


async def _probe(conn: AsyncConnection, probes: tuple[tuple[str, str], ...]) -> list[str]:
    """Run each statement in a savepoint; returns "label: outcome" for each, refusals first."""
    outcomes = []
    outer = await conn.begin()
    try:
        await conn.execute(text("SET LOCAL lock_timeout = '5s'"))
        for label, statement in probes:
            try:
                async with conn.begin_nested():
                    await conn.execute(text(statement))
            except DBAPIError as exc:
                outcomes.append(f"{label}: refused ({db_error(exc)})")
            else:
                outcomes.append(f"{label}: ALLOWED")
    finally:
        await outer.rollback()
    return outcomes


def _verdict(name: str, outcomes: list[str]) -> Check:
    allowed = [o for o in outcomes if o.endswith(": ALLOWED")]
    if allowed:
        return Check(name, Status.FAIL, "; ".join(allowed) + " (rolled back)")
    return Check(name, Status.PASS, "; ".join(outcomes))


async def _connect(conn: AsyncConnection, target: VerifyTarget) -> Check:
    row = (
        await conn.execute(
            text("SELECT current_user, current_database(), current_setting('server_version')")
        )
    ).one()
    return Check("postgres.connect", Status.PASS, f"as {row[0]} to {row[1]} (PostgreSQL {row[2]})")


async def _extensions(conn: AsyncConnection, target: VerifyTarget) -> Check:
    rows = await conn.execute(text("SELECT extname, extversion FROM pg_extension"))
    found = {str(name): str(version) for name, version in rows}
    missing = [e for e in ("pgcrypto", "pgaudit") if e not in found]
    shown = ", ".join(f"{e} {found[e]}" for e in ("pgcrypto", "pgaudit") if e in found)
    evidence = shown + (f"; missing: {', '.join(missing)}" if missing else "")
    return passed_if("postgres.extensions", not missing, evidence.strip("; "))


async def _preloaded(conn: AsyncConnection, target: VerifyTarget) -> Check:
    libraries = (await _settings(conn, "shared_preload_libraries")).get("shared_preload_libraries")
    registered = await _settings(conn, "pgaudit.%")
    shown = (
        f"shared_preload_libraries = {libraries!r}"
        if libraries is not None
        else "shared_preload_libraries is not readable by this role"
    )
    if not registered:
        return Check(
            "pgaudit.preloaded",
            Status.FAIL,
            f"no pgaudit.* parameters registered: pgaudit is not in shared_preload_libraries "
            f"({shown})",
        )
    return Check("pgaudit.preloaded", Status.PASS, f"{len(registered)} pgaudit parameters; {shown}")


async def _pgaudit_settings(conn: AsyncConnection, target: VerifyTarget) -> Check:
    values = await _settings(conn, "pgaudit.%")
    if not values:
        return Check("pgaudit.settings", Status.FAIL, "pgaudit is not loaded")
    classes = {c.strip().lower() for c in values.get("pgaudit.log", "").split(",")}
    problems = []
    if "all" not in classes and not {"ddl", "role"} <= classes:
        problems.append("pgaudit.log must include ddl and role")
    if values.get("pgaudit.log_parameter") != "off":
        problems.append("pgaudit.log_parameter must be off (it logs bound values)")
    if values.get("pgaudit.log_rows") != "off":
        problems.append("pgaudit.log_rows must be off")
    if values.get("pgaudit.role") != AUDIT_ROLE:
        problems.append(f"pgaudit.role must be {AUDIT_ROLE}")
    shown = ", ".join(
        f"{name.removeprefix('pgaudit.')}={values.get(name, '?')!r}"
        for name in (
            "pgaudit.log",
            "pgaudit.role",
            "pgaudit.log_parameter",
            "pgaudit.log_relation",
            "pgaudit.log_catalog",
            "pgaudit.log_rows",
        )
    )
    return passed_if("pgaudit.settings", not problems, "; ".join([*problems, shown]))


async def _object_audit(conn: AsyncConnection, target: VerifyTarget) -> Check:
    role = (
        await conn.execute(
            text(
                "SELECT r.rolcanlogin, r.rolsuper,"
                " (SELECT count(*) FROM pg_auth_members m WHERE m.roleid = r.oid)"
                " FROM pg_roles r WHERE r.rolname = :role"
            ),
            {"role": AUDIT_ROLE},
        )
    ).one_or_none()
    if role is None:
        return Check("pgaudit.object_audit", Status.FAIL, f"role {AUDIT_ROLE} does not exist")
    problems = []
    if role[0] or role[1]:
        problems.append(f"{AUDIT_ROLE} must be NOLOGIN NOSUPERUSER")
    if role[2]:
        problems.append(f"{AUDIT_ROLE} has {role[2]} member(s); it must have none")
    audited = []
    for table, columns in AUDIT_COLUMNS.items():
        for column in columns:
            held = (
                await conn.execute(
                    text(
                        "SELECT has_column_privilege(:role, :table, :column, 'SELECT'),"
                        " has_column_privilege(:role, :table, :column, 'INSERT'),"
                        " has_column_privilege(:role, :table, :column, 'UPDATE')"
                    ),
                    {"role": AUDIT_ROLE, "table": table, "column": column},
                )
            ).one()
            if all(held):
                audited.append(f"{table}.{column}")
            else:
                problems.append(f"{table}.{column} is not audited (SELECT, INSERT, UPDATE)")
    evidence = f"{AUDIT_ROLE} NOLOGIN, no members; audits {', '.join(audited) or 'nothing'}"
    return passed_if("pgaudit.object_audit", not problems, "; ".join([*problems, evidence]))


async def _logging(conn: AsyncConnection, target: VerifyTarget) -> Check:
    wanted = {
        "log_statement": "none",
        "log_connections": "on",
        "log_disconnections": "on",
        "password_encryption": "scram-sha-256",
    }
    values = {}
    for name in wanted:
        values.update(await _settings(conn, name))
    wrong = [n for n, v in wanted.items() if values.get(n) != v]
    shown = ", ".join(f"{n}={values.get(n, '?')}" for n in wanted)
    return passed_if(
        "postgres.logging",
        not wrong,
        (f"expected {', '.join(wrong)} as in deploy/postgres/postgresql.conf; " if wrong else "")
        + shown,
    )


async def _tls(conn: AsyncConnection, target: VerifyTarget) -> Check:
    url = make_url(target.settings.database_url)
    mode = url.query.get("sslmode") or url.query.get("ssl")
    requested = isinstance(mode, str) and mode.lower() in TLS_MODES
    row = (
        await conn.execute(
            text("SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        )
    ).one()
    in_use = f"{row[1]} {row[2]}" if row[0] else "no TLS on this connection"
    if requested:
        return passed_if("postgres.tls", bool(row[0]), f"URL asks for {mode}; {in_use}")
    if target.settings.env is Environment.PRODUCTION:
        return Check(
            "postgres.tls", Status.FAIL, f"production requires sslmode=verify-full; {in_use}"
        )
    return Check("postgres.tls", Status.SKIP, f"not asked for by DATABASE_URL; {in_use}")


async def _attributes(conn: AsyncConnection, target: VerifyTarget) -> Check:
    row = (
        await conn.execute(
            text(
                "SELECT r.rolsuper, r.rolcreaterole, r.rolcreatedb, r.rolreplication,"
                " r.rolbypassrls, pg_has_role(r.oid, d.datdba, 'MEMBER'),"
                " (SELECT string_agg(g.rolname, ', ' ORDER BY g.rolname) FROM pg_auth_members m"
                "  JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid)"
                " FROM pg_roles r, pg_database d"
                " WHERE r.rolname = current_user AND d.datname = current_database()"
            )
        )
    ).one()
    names = ("SUPERUSER", "CREATEROLE", "CREATEDB", "REPLICATION", "BYPASSRLS")
    held = [name for name, flag in zip(names, row[:5], strict=True) if flag]
    if row[5]:
        held.append("membership of the database owner")
    evidence = f"member of: {row[6] or 'nothing'}"
    if held:
        return Check("runtime.attributes", Status.FAIL, f"has {', '.join(held)}; {evidence}")
    return Check(
        "runtime.attributes", Status.PASS, f"NOSUPERUSER NOCREATEROLE NOCREATEDB; {evidence}"
    )


async def _privileges(conn: AsyncConnection, target: VerifyTarget) -> Check:
    rows = await conn.execute(
        text(
            "SELECT c.relname, p.priv FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " CROSS JOIN unnest(CAST(:privs AS text[])) AS p(priv)"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
            " AND CASE WHEN c.relkind <> 'S' THEN has_table_privilege(c.oid, p.priv) END"
        ),
        {"privs": list(CHECKED_PRIVILEGES)},
    )
    held: dict[str, set[str]] = {}
    for table, privilege in rows:
        held.setdefault(str(table), set()).add(str(privilege))
    tables = {
        str(t)
        for t in (
            await conn.execute(
                text(
                    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
                )
            )
        ).scalars()
    }
    policy = runtime_policy(Base.metadata)
    problems = [f"table {t} missing (migrations not run?)" for t in policy if t not in tables]
    for table in sorted(tables | set(held)):
        expected = policy.get(table, frozenset())
        got = held.get(table, set())
        if extra := got - expected:
            problems.append(f"{table}: holds {', '.join(sorted(extra))}")
        if table in tables and (lacking := expected - got):
            problems.append(f"{table}: lacks {', '.join(sorted(lacking))}")
    others = (
        await conn.execute(
            text(
                "SELECT has_schema_privilege('public', 'CREATE'),"
                " has_database_privilege(current_database(), 'CREATE'),"
                " (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                "  WHERE n.nspname = 'public'"
                "  AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'UPDATE') END)"
            )
        )
    ).one()
    if others[0]:
        problems.append("CREATE on schema public")
    if others[1]:
        problems.append("CREATE on the database")
    if others[2]:
        problems.append(f"UPDATE (setval) on {others[2]} sequence(s)")
    if problems:
        return Check("runtime.privileges", Status.FAIL, "; ".join(problems))
    return Check(
        "runtime.privileges",
        Status.PASS,
        f"{len(policy)} tables exactly as the policy (audit_events SELECT, INSERT; audit_head "
        "SELECT, UPDATE; audit_inbox SELECT, INSERT, DELETE; others DML); no CREATE on "
        "schema public or the database",
    )


async def _no_ddl(conn: AsyncConnection, target: VerifyTarget) -> Check:
    return _verdict("runtime.no_ddl", await _probe(conn, DDL_PROBES))


async def _append_only(conn: AsyncConnection, target: VerifyTarget) -> Check:
    return _verdict("audit.append_only", await _probe(conn, AUDIT_PROBES))


async def _guard(conn: AsyncConnection, target: VerifyTarget) -> Check:
    rows = await conn.execute(
        text(
            "SELECT c.relname || '.' || t.tgname, t.tgenabled::text FROM pg_trigger t"
            " JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname LIKE 'faceless_audit%' AND NOT t.tgisinternal"
        )
    )
    enabled = {str(name) for name, state in rows if state in ("O", "A")}
    row = (
        await conn.execute(
            text(
                "SELECT current_setting('session_replication_role'),"
                " current_setting('faceless.audit_maintenance', true)"
            )
        )
    ).one()
    problems = [f"trigger {t} missing or disabled" for t in sorted(GUARD_TRIGGERS - enabled)]
    if row[0] != "origin":
        problems.append(f"session_replication_role = {row[0]} (triggers do not fire)")
    if row[1] == "on":
        problems.append("faceless.audit_maintenance is on by default for this role/database")
    if problems:
        return Check("audit.guard", Status.FAIL, "; ".join(problems))
    return Check(
        "audit.guard",
        Status.PASS,
        f"{len(GUARD_TRIGGERS)} guard triggers enabled; faceless.audit_maintenance off",
    )


PgCheck = Callable[[AsyncConnection, VerifyTarget], Awaitable[Check]]
POSTGRES_CHECKS: tuple[tuple[str, PgCheck], ...] = (
    ("postgres.connect", _connect),
    ("postgres.extensions", _extensions),
    ("pgaudit.preloaded", _preloaded),
    ("pgaudit.settings", _pgaudit_settings),
    ("pgaudit.object_audit", _object_audit),
    ("postgres.logging", _logging),
    ("postgres.tls", _tls),
    ("runtime.attributes", _attributes),
    ("runtime.privileges", _privileges),
    ("runtime.no_ddl", _no_ddl),
    ("audit.append_only", _append_only),
    ("audit.guard", _guard),
)
