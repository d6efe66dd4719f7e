"""No secrets in SQL text, ever: the tree passes the check, and the check itself works.

The rules and the ``# sql-format-ok: <reason>`` marker are described in
:mod:`tests.static.sql_secrets`. Each rule is exercised here on small snippets, both
ways, so a checker that stopped looking would fail these tests rather than pass the tree.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.static.sql_secrets import (
    ROOT,
    Finding,
    check_python_source,
    check_shell_source,
    check_sql_source,
    check_tree,
    files_checked,
)

HEADER = "import subprocess\nimport sqlalchemy as sa\nfrom alembic import op\n"
HEADER += "from sqlalchemy import func, literal_column, select, text\n"


def _python(snippet: str) -> list[Finding]:
    return check_python_source(HEADER + textwrap.dedent(snippet), "snippet.py")


def _rules(findings: list[Finding]) -> list[str]:
    return sorted(f.rule for f in findings)


# -- the tree --------------------------------------------------------------------------


def test_the_tree_has_no_secret_in_sql_text() -> None:
    findings = check_tree()
    assert not findings, (
        "SQL text that could carry a secret (see tests/static/sql_secrets.py):\n  "
        + "\n  ".join(map(str, findings))
        + "\nUse bound parameters (:name, psql's :'name'); for string-built SQL that only "
        "splices safely quoted identifiers or constants, add a trailing "
        "'# sql-format-ok: <reason>' on the statement."
    )


def test_the_check_reads_src_migrations_and_deploy() -> None:
    checked = {path.relative_to(ROOT).as_posix() for path in files_checked()}
    assert len(checked) > 100
    for expected in (
        "src/faceless/db/encryption.py",
        "src/faceless/migrations/env.py",
        "src/faceless/migrations/versions/0001_initial_schema.py",
    ):
        assert expected in checked
    deploy_scripts = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "deploy").rglob("*")
        if path.suffix in (".sql", ".sh")
    }
    assert deploy_scripts, "deploy/ holds no SQL or shell script any more: update this test"
    assert deploy_scripts <= checked


def test_the_check_finds_planted_violations_in_a_tree(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg" / "migrations").mkdir(parents=True)
    (tmp_path / "deploy" / "postgres").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "migrations" / "v1.py").write_text(
        "from alembic import op\n\ndef upgrade(name):\n    op.execute(f'DROP ROLE {name}')\n"
    )
    (tmp_path / "deploy" / "postgres" / "init.sql").write_text("SET app.encryption_key = 'k';\n")
    (tmp_path / "deploy" / "postgres" / "init.sh").write_text(
        "#!/bin/sh\npsql -c \"ALTER ROLE app PASSWORD '$PW'\"\n"
    )
    found = {(f.path, f.rule) for f in check_tree(tmp_path)}
    assert found == {
        ("src/pkg/migrations/v1.py", "formatted-sql"),
        ("deploy/postgres/init.sql", "key-setting"),
        ("deploy/postgres/init.sh", "formatted-sql"),
        ("deploy/postgres/init.sh", "role-password"),
    }


# -- Python: formatted SQL -------------------------------------------------------------

FORMATTED = {
    "f-string into text()": 'text(f"SELECT * FROM t WHERE id = {x}")',
    "%-formatting into sa.text()": 'sa.text("SELECT * FROM t WHERE id = %s" % x)',
    ".format() into op.execute()": 'op.execute("DROP ROLE {}".format(role))',
    "concatenation into exec_driver_sql()": 'conn.exec_driver_sql("SELECT " + column)',
    "join into text()": 'session.execute(text(", ".join(parts)))',
    "f-string into literal_column()": 'select(literal_column(f"{name}"))',
    "f-string into execute()": 'cursor.execute(f"SELECT {x}")',
    "asyncpg fetchval": 'conn.fetchval(f"SELECT {x}")',
    "via a variable": 'sql = f"GRANT SELECT ON {table} TO app"\nop.execute(sql)',
    "via +=": 'sql = "SELECT 1"\nsql += where\nconn.execute(sql)',
    "conditional": 'op.execute(f"DROP {kind}" if drop else "SELECT 1")',
    "psql -c": 'subprocess.run(["psql", dsn, "-c", f"ALTER ROLE app PASSWORD {v}"])',
    "psql --command=": 'subprocess.run(["/usr/bin/psql", f"--command=SELECT {x}"])',
    "psql stdin": 'subprocess.run(["psql", dsn], input=f"SELECT {x}", text=True)',
    "psql found by a helper": 'subprocess.run([self._bin("psql"), "-c", "SELECT " + x])',
    "keyword argument": 'conn.execute(statement=f"SELECT {x}")',
}


@pytest.mark.parametrize("snippet", FORMATTED.values(), ids=FORMATTED.keys())
def test_formatted_sql_is_found(snippet: str) -> None:
    findings = _python(snippet)
    assert "formatted-sql" in _rules(findings), findings


def test_a_formatted_variable_in_another_function_does_not_leak_in() -> None:
    snippet = """
    def a():
        sql = f"SELECT {x}"
        return sql

    def b():
        sql = "SELECT 1"
        op.execute(sql)
    """
    assert _python(snippet) == []


NOT_FORMATTED = {
    "bound parameter": 'text("SELECT 1 FROM t WHERE id = :id")',
    "ORM statement": "session.execute(select(User).where(User.id == uid))",
    "pragma": 'cursor.execute("PRAGMA journal_mode=WAL")',
    "implicit concatenation": 'text("SELECT a"\n     " FROM t")',
    "constant concatenation": 'op.execute("SELECT a " + "FROM t")',
    "driver parameters": 'cursor.execute("SELECT %s", (x,))',
    "a constant by name": 'STATEMENT = "SELECT 1"\nop.execute(STATEMENT)',
    "not a sink": 'log.info(f"SELECT {x}")',
    "text() that is not SQLAlchemy's": 'from faceless.analyze import text as t2\nt2(f"{x}")',
    "psql option, not SQL": 'subprocess.run(["psql", "-v", f"db={name}", "-c", "SELECT 1"])',
    "not psql": 'subprocess.run(["grep", "-c", f"{x}", "file"])',
}


@pytest.mark.parametrize("snippet", NOT_FORMATTED.values(), ids=NOT_FORMATTED.keys())
def test_safe_sql_is_not_flagged(snippet: str) -> None:
    assert _python(snippet) == []


# -- Python: the marker ----------------------------------------------------------------


def test_a_marker_with_a_reason_allows_one_formatted_statement() -> None:
    snippet = """
    op.execute(f"ALTER DATABASE {quoted} OWNER TO app")  # sql-format-ok: identifier from quote_ident
    op.execute(
        f"DROP ROLE {quoted}"  # sql-format-ok: identifier quoted by the dialect's preparer
    )
    op.execute(f"DROP ROLE {other}")
    """
    findings = _python(snippet)
    assert [(f.rule, f.line - HEADER.count("\n")) for f in findings] == [("formatted-sql", 6)]


def test_a_marker_on_the_assignment_allows_the_variable() -> None:
    snippet = """
    sql = f"GRANT SELECT ON {TABLE} TO app"  # sql-format-ok: TABLE is a module constant
    op.execute(sql)
    """
    assert _python(snippet) == []


@pytest.mark.parametrize(
    ("snippet", "detail"),
    [
        ('op.execute(f"DROP ROLE {r}")  # sql-format-ok:', "needs a reason"),
        ('op.execute(f"DROP ROLE {r}")  # sql-format-ok: ok', "needs a reason"),
        ("x = 1  # sql-format-ok: nothing to excuse here", "excuses nothing"),
        ('op.execute("DROP ROLE app")  # sql-format-ok: a constant anyway', "excuses nothing"),
    ],
)
def test_bad_or_stale_markers_are_findings(snippet: str, detail: str) -> None:
    findings = _python(snippet)
    assert any(f.rule == "marker" and detail in f.detail for f in findings), findings


def test_a_marker_never_excuses_a_key_in_sql() -> None:
    snippet = """
    text(f"SELECT pgp_sym_encrypt(:v, {key})")  # sql-format-ok: the key is a constant
    """
    assert _rules(_python(snippet)) == ["pgcrypto-key"]


# -- Python and SQL: keys in SQL text --------------------------------------------------

KEYS_IN_SQL = {
    "pgp_sym_encrypt": ('text("SELECT pgp_sym_encrypt(:v, :k)")', "pgcrypto-key"),
    "pgp_sym_decrypt_bytea": ('text("SELECT PGP_SYM_DECRYPT_BYTEA(c, :k) FROM t")', "pgcrypto-key"),
    "pgp_pub_encrypt via func": ("select(func.pgp_pub_encrypt(col, key))", "pgcrypto-key"),
    "pgp_sym_decrypt via sa.func": ("select(sa.func.pgp_sym_decrypt(col, key))", "pgcrypto-key"),
    "raw encrypt()": ("text(\"SELECT encrypt(:d, :k, 'aes')\")", "pgcrypto-key"),
    "hmac via func": ("select(func.hmac(col, key, 'sha256'))", "pgcrypto-key"),
    "crypt() of a password": ("text(\"SELECT crypt(:pw, gen_salt('bf'))\")", "pgcrypto-key"),
    "SET of a key": ('text("SET app.encryption_key = :k")', "key-setting"),
    "SET LOCAL ... TO": ("op.execute(\"SET LOCAL app.jwt_secret TO 'x'\")", "key-setting"),
    "ALTER DATABASE SET": (
        "op.execute(\"ALTER DATABASE d SET app.api_token = 'x'\")",
        "key-setting",
    ),
    "set_config": ("text(\"SELECT set_config('faceless.key', :k, false)\")", "key-setting"),
    "set_config of a name chosen at run time": (
        'text("SELECT set_config(:name, :value, false)")',
        "key-setting",
    ),
    "current_setting": ("text(\"SELECT current_setting('app.data_key')\")", "key-setting"),
    "role password literal": ("op.execute(\"ALTER ROLE app PASSWORD 'hunter2'\")", "role-password"),
    "role password formatted": (
        "op.execute(f\"CREATE ROLE {r} LOGIN PASSWORD '{pw}'\")  # sql-format-ok: test only",
        "role-password",
    ),
    "a module constant holding the SQL": (
        'SQL = "SELECT pgp_sym_encrypt(:v, :k)"\nop.execute(SQL)',
        "pgcrypto-key",
    ),
}


@pytest.mark.parametrize(("snippet", "rule"), KEYS_IN_SQL.values(), ids=KEYS_IN_SQL.keys())
def test_keys_in_python_sql_are_found(snippet: str, rule: str) -> None:
    assert rule in _rules(_python(snippet))


NO_KEYS = {
    "docstring naming a function": 'def f():\n    """We never call pgp_sym_encrypt(data, key)."""',
    "extension": 'op.execute("CREATE EXTENSION IF NOT EXISTS pgcrypto")',
    "search_path": 'op.execute("SET search_path = pg_catalog")',
    "maintenance switch": 'text("SET faceless.audit_maintenance = on")',
    "built-in setting with a key-like name": (
        "op.execute(\"SET password_encryption = 'scram-sha-256'\")"  # pragma: allowlist secret
    ),
    "prose": 'raise ValueError("set SECRETS_ALLOW_DOTENV=true to accept the risk")',
    "digest is not keyed": "text(\"SELECT digest(:v, 'sha256')\")",
    "encrypt() outside SQL": "cipher.encrypt(nonce, data, aad)",
    "SCRAM verifier": (
        "op.execute(\"ALTER ROLE app PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vy'\")"
    ),
    "constant setting name read back": "text(\"SELECT current_setting('pgaudit.log')\")",
}


@pytest.mark.parametrize("snippet", NO_KEYS.values(), ids=NO_KEYS.keys())
def test_sql_without_keys_is_not_flagged(snippet: str) -> None:
    assert _python(snippet) == []


def test_findings_name_the_setting_but_never_a_value() -> None:
    (finding,) = _python("op.execute(\"ALTER ROLE app SET app.api_token = 'tok-123456'\")")
    assert "app.api_token" in str(finding)
    assert "tok-123456" not in str(finding)
    (finding,) = _python("op.execute(\"ALTER ROLE app PASSWORD 'hunter2hunter2'\")")
    assert "hunter2" not in str(finding)


def test_an_unparsable_file_is_a_finding_not_a_pass() -> None:
    assert _rules(check_python_source("def broken(:\n", "x.py")) == ["parse"]


# -- .sql files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "rule"),
    [
        ("SELECT pgp_sym_encrypt('x', 'k');", "pgcrypto-key"),
        ("SELECT encode(hmac('v', 'k', 'sha256'), 'hex');", "pgcrypto-key"),
        ("SET app.encryption_key = 'x';", "key-setting"),
        ("ALTER SYSTEM SET ssl_passphrase_command = 'echo pw';", "key-setting"),
        ("SELECT set_config('faceless.secret', 'x', false);", "key-setting"),
        ("CREATE ROLE app LOGIN\n  PASSWORD 'plain';", "role-password"),  # pragma: allowlist secret
        ("ALTER USER app WITH ENCRYPTED PASSWORD :'app_password';", "role-password"),
        ("SELECT 1; -- sql-format-ok: nothing is formatted in a .sql file", "marker"),
    ],
)
def test_sql_files_are_checked(sql: str, rule: str) -> None:
    findings = check_sql_source(f"-- header\n{sql}\n", "deploy/x.sql")
    assert _rules(findings) == [rule]
    assert findings[0].line >= 2


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE EXTENSION IF NOT EXISTS pgcrypto;",
        "-- never: SELECT pgp_sym_encrypt(data, key)",
        "ALTER ROLE app PASSWORD 'SCRAM-SHA-256$4096:c2FsdA==$a2V5:c2Vy';",  # pragma: allowlist secret
        "CREATE ROLE app LOGIN PASSWORD :'app_verifier';",
        "ALTER DATABASE faceless SET pgaudit.log = 'ddl, role, misc_set';",
        "CREATE ROLE pgaudit_admin NOLOGIN PASSWORD NULL;",
        "SELECT digest('x', 'sha256');",
    ],
)
def test_safe_sql_files_pass(sql: str) -> None:
    assert check_sql_source(sql + "\n", "deploy/x.sql") == []


# -- shell scripts ---------------------------------------------------------------------


def _shell(script: str) -> list[Finding]:
    return check_shell_source(textwrap.dedent(script).lstrip("\n"), "deploy/x.sh")


def test_shell_expansion_in_psql_sql_is_found() -> None:
    findings = _shell(
        """
        #!/usr/bin/env bash
        set -euo pipefail
        psql --username "$POSTGRES_USER" -c "GRANT faceless_runtime TO $APP_USER"
        psql -v ON_ERROR_STOP=1 \\
             --username "$POSTGRES_USER" <<-EOSQL
        \tCREATE ROLE app LOGIN;
        \tGRANT faceless_runtime TO ${APP_USER};
        EOSQL
        psql <<< "SELECT '$X'"
        """
    )
    assert [(f.line, f.rule) for f in findings] == [
        (3, "formatted-sql"),
        (7, "formatted-sql"),
        (9, "formatted-sql"),
    ]


def test_keys_in_shell_sql_are_found() -> None:
    findings = _shell(
        """
        #!/bin/sh
        psql <<'EOSQL'
        ALTER ROLE app PASSWORD :'app_password';
        SELECT set_config('app.key', 'x', false);
        EOSQL
        """
    )
    assert [(f.line, f.rule) for f in findings] == [(3, "role-password"), (4, "key-setting")]


def test_safe_shell_sql_passes() -> None:
    findings = _shell(
        """
        #!/usr/bin/env bash
        # Comments may say anything: psql -c "ALTER ROLE app PASSWORD '$PW'"
        psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" -c 'SELECT 1'
        psql -v verifier="$APP_VERIFIER" --username "$POSTGRES_USER" <<-'EOSQL'
        \tCREATE ROLE app LOGIN PASSWORD :'verifier';
        \tDO $$ BEGIN RAISE NOTICE 'ok'; END $$;
        EOSQL
        cat > "$PGDATA/extra.conf" <<EOF
        shared_preload_libraries = 'pgaudit'
        log_directory = '$PGDATA/log'
        EOF
        psql -c "SELECT 1" --dbname "$DB"
        """
    )
    assert findings == []


def test_a_marker_allows_one_shell_expansion() -> None:
    findings = _shell(
        """
        #!/bin/sh
        psql -c "CREATE DATABASE \\"$DB\\"" # sql-format-ok: name validated by the script above
        psql -c "DROP DATABASE $DB"
        """
    )
    assert [(f.line, f.rule) for f in findings] == [(3, "formatted-sql")]
