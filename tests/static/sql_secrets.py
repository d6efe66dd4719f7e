"""No secrets in SQL text, ever: a static check over src/ (Python) and deploy/ (SQL, shell).

SQL text ends up in places parameters do not: pgaudit and ``log_statement`` lines,
``pg_stat_activity``, error messages, ``.psql_history``. So a key or password must never
be part of it, and SQL is never assembled by string formatting. Rules:

``pgcrypto-key``
    A pgcrypto function that takes a key or password (``pgp_sym_*``, ``pgp_pub_*``,
    ``encrypt``/``decrypt``/``*_iv``, ``hmac``, ``crypt``), in SQL text or as
    ``func.<name>(...)``. Encryption happens in the application (faceless.crypto).
``key-setting``
    ``SET``/``ALTER ... SET``/``set_config``/``current_setting`` of a setting whose name
    looks like a key (key, secret, password, token, credential, ...): a session setting is
    visible to every statement of the session and logged by pgaudit's ``misc_set``.
``role-password``
    ``CREATE``/``ALTER ROLE|USER ... PASSWORD`` with anything but a SCRAM verifier (a
    literal ``'SCRAM-SHA-256$...'`` or a placeholder named ``*verifier*``/``*scram*``).
``formatted-sql``
    An f-string, ``%``, ``.format()``, ``str.join`` or ``+`` building the SQL passed to
    ``text()``, ``literal_column()``, ``execute*()``, ``exec_driver_sql()``, asyncpg's
    ``fetch*()``, or to ``psql -c``/``input=``; in shell, ``$`` expansion inside
    ``psql -c "..."`` or an unquoted SQL here-document. Parameters (``:name``, ``$1``,
    psql's ``:'name'``) are the way.

Only ``formatted-sql`` can be allowed, one statement at a time, by a trailing comment
``# sql-format-ok: <reason>`` on one of the lines of the call (or of the assignment of
the variable it passes), or of the shell command / expanding line. A marker without a
reason, or one where nothing is flagged (any marker in a .sql file), is itself a finding,
so markers cannot outlive the code they excuse. Findings name the file, line, rule and
what matched, never a value. Out of scope: SQL built inside the server (PL/pgSQL
``EXECUTE format(...)`` with ``%I``/``%L`` is the safe way there) and tests/.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Iterable
from pathlib import Path

from tests.static.sql_text import (
    MARKER,
    PGCRYPTO_KEYED,
    PGP,
    Finding,
    check_shell_source,
    check_sql_source,
    marker_findings,
    sql_text_findings,
)

__all__ = [
    "ROOT",
    "Finding",
    "check_python_source",
    "check_shell_source",
    "check_sql_source",
    "check_tree",
    "files_checked",
]

ROOT = Path(__file__).resolve().parents[2]
_TEXT_SINKS = frozenset({"text", "literal_column"})
_EXEC_SINKS = frozenset(
    {"execute", "executemany", "executescript", "exec_driver_sql", "fetch", "fetchrow", "fetchval"}
)
_SUBPROCESS = frozenset(
    {"run", "Popen", "call", "check_call", "check_output", "create_subprocess_exec"}
)
_SQL_KWARGS = frozenset({"statement", "sql", "query", "text", "clause"})


# -- Python -----------------------------------------------------------------------------


def _markers(source: str) -> dict[int, str]:
    found: dict[int, str] = {}
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.COMMENT:
                match = MARKER.search(token.string)
                if match:
                    found[token.start[0]] = match.group(1).strip()
    except (tokenize.TokenError, SyntaxError):
        pass
    return found


def _docstrings(tree: ast.AST) -> set[int]:
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _module_constants(tree: ast.Module) -> dict[str, str]:
    constants: dict[str, str] = {}
    for stmt in tree.body:
        target = value = None
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign):
            target, value = stmt.target, stmt.value
        text = _str_value(value)
        if isinstance(target, ast.Name) and text is not None:
            constants[target.id] = text
    return constants


def _render(node: ast.JoinedStr, constants: dict[str, str]) -> str:
    """An f-string as text: module constants filled in, other fields as ``{expr}``."""
    parts: list[str] = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append(str(value.value))
        elif isinstance(value, ast.FormattedValue):
            inner = value.value
            if isinstance(inner, ast.Name) and inner.id in constants:
                parts.append(constants[inner.id])
            else:
                parts.append("{" + ast.unparse(inner) + "}")
    return "".join(parts)


class _Scopes(ast.NodeVisitor):
    """Assignments per scope, to follow ``sql = f"..."; execute(sql)``."""

    def __init__(self) -> None:
        self.assigned: dict[int, dict[str, list[ast.expr]]] = {}
        self.scope_of: dict[int, ast.AST] = {}
        self._stack: list[ast.AST] = []

    def run(self, tree: ast.Module) -> None:
        self._stack = [tree]
        self.generic_visit(tree)

    def _enter(self, node: ast.AST) -> None:
        self._stack.append(node)
        self.generic_visit(node)
        self._stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _enter

    def _bind(self, name: str, value: ast.expr) -> None:
        scope = self._stack[-1]
        self.assigned.setdefault(id(scope), {}).setdefault(name, []).append(value)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self._bind(target.id, node.value)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if isinstance(node.target, ast.Name) and node.value is not None:
            self._bind(node.target.id, node.value)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if isinstance(node.target, ast.Name):
            # sql += x is concatenation whatever x is.
            joined = ast.BinOp(ast.Name(node.target.id), node.op, node.value)
            self._bind(node.target.id, ast.copy_location(joined, node))
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self.scope_of[id(node)] = self._stack[-1]
        self.generic_visit(node)


def _str_value(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _is_str_constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)


def _add_leaves(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _add_leaves(node.left) + _add_leaves(node.right)
    return [node]


def _formatting(
    node: ast.expr, names: dict[str, list[ast.expr]], seen: frozenset[str] = frozenset()
) -> tuple[str, list[ast.expr]] | None:
    """How ``node`` formats a string, and the nodes where a marker may sit; else None."""
    if isinstance(node, ast.JoinedStr):
        if any(isinstance(v, ast.FormattedValue) for v in node.values):
            return "f-string", [node]
        return None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
        return "%-formatting", [node]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        if all(_is_str_constant(leaf) for leaf in _add_leaves(node)):
            return None
        return "concatenation", [node]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr == "format":
            return ".format()", [node]
        if node.func.attr == "join":
            return "str.join()", [node]
    if isinstance(node, ast.IfExp):
        return _formatting(node.body, names, seen) or _formatting(node.orelse, names, seen)
    if isinstance(node, ast.Name) and node.id in names and node.id not in seen:
        for value in names[node.id]:
            found = _formatting(value, names, seen | {node.id})
            if found:
                return f"{found[0]} (via {node.id})", [*found[1], node]
    return None


def _sqlalchemy_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to SQLAlchemy modules, and to its text()/literal_column()."""
    modules: set[str] = set()
    functions: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if alias.name in _TEXT_SINKS:
                    functions.add(alias.asname or alias.name)
                elif alias.name in {"sql", "sqlalchemy"}:
                    modules.add(alias.asname or alias.name)
    return modules, functions


def _sink(call: ast.Call, modules: set[str], functions: set[str]) -> str | None:
    func = call.func
    if isinstance(func, ast.Name) and func.id in functions:
        return f"{func.id}()"
    if isinstance(func, ast.Attribute):
        if func.attr in _EXEC_SINKS:
            return f".{func.attr}()"
        if func.attr in _TEXT_SINKS:
            base = func.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                return f"{ast.unparse(func)}()"
    return None


def _sql_arguments(call: ast.Call) -> list[ast.expr]:
    args = list(call.args[:1])
    args += [kw.value for kw in call.keywords if kw.arg in _SQL_KWARGS]
    return args


def _psql_arguments(call: ast.Call) -> list[ast.expr]:
    """The SQL-carrying arguments of a subprocess call running psql (else [])."""
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in _SUBPROCESS or not call.args:
        return []
    first = call.args[0]
    argv = list(first.elts) if isinstance(first, ast.List | ast.Tuple) else list(call.args)
    program = argv[0] if argv else None
    # "psql", "/usr/bin/psql", or a helper that finds it: self._bin("psql").
    if program is None or "psql" not in (_str_value(program) or ast.unparse(program)):
        return []
    picked = [kw.value for kw in call.keywords if kw.arg == "input"]
    for before, arg in zip([None, *argv], argv, strict=False):
        head = None  # the literal start of an f"--command={sql}" / "-c" + sql argument
        if isinstance(arg, ast.JoinedStr) and arg.values:
            head = _str_value(arg.values[0])
        elif isinstance(arg, ast.BinOp):
            head = _str_value(arg.left)
        if _str_value(before) in ("-c", "--command") or (head or "").startswith(
            ("-c", "--command")
        ):
            picked.append(arg)
    return picked


def _pgcrypto_func(call: ast.Call) -> str | None:
    """``func.pgp_sym_encrypt(...)`` and friends (sqlalchemy's generic function)."""
    func = call.func
    if isinstance(func, ast.Attribute):
        owner = func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        name = func.attr.lower()
        if owner_name == "func" and (PGP.match(name + "(") or name in PGCRYPTO_KEYED):
            return name
    return None


def check_python_source(source: str, path: str) -> list[Finding]:
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        return [Finding(path, error.lineno or 1, "parse", "not valid Python; not checked")]
    markers = _markers(source)
    docstrings = _docstrings(tree)
    constants = _module_constants(tree)
    modules, functions = _sqlalchemy_names(tree)
    scopes = _Scopes()
    scopes.run(tree)
    module_names = scopes.assigned.get(id(tree), {})

    findings: list[Finding] = []
    used_markers: set[int] = set()
    in_fstring = {
        id(value)
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr)
        for value in node.values
    }
    for node in ast.walk(tree):
        text: str | None = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings and id(node) not in in_fstring:
                text = node.value
        elif isinstance(node, ast.JoinedStr):
            text = _render(node, constants)
        if text is not None:
            for offset, rule, detail in sql_text_findings(text):
                findings.append(Finding(path, node.lineno + offset, rule, detail))
            continue
        if not isinstance(node, ast.Call):
            continue
        pgcrypto = _pgcrypto_func(node)
        if pgcrypto:
            findings.append(
                Finding(path, node.lineno, "pgcrypto-key", f"func.{pgcrypto}() takes a key in SQL")
            )
        sink = _sink(node, modules, functions)
        candidates = _sql_arguments(node) if sink else _psql_arguments(node)
        if not candidates:
            continue
        scope = scopes.scope_of.get(id(node), tree)
        names = {**module_names, **scopes.assigned.get(id(scope), {})}
        for argument in candidates:
            found = _formatting(argument, names)
            if found is None:
                continue
            how, spans = found
            lines = set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
            for span in spans:
                lines |= set(range(span.lineno, (span.end_lineno or span.lineno) + 1))
            allowed = sorted(line for line in lines if line in markers)
            if allowed:
                used_markers.update(allowed)
                continue
            findings.append(
                Finding(path, node.lineno, "formatted-sql", f"{how} passed to {sink or 'psql'}")
            )
    findings += marker_findings(path, markers, used_markers)
    return findings


# -- the tree -------------------------------------------------------------------------


def _files(base: Path, patterns: Iterable[str]) -> list[Path]:
    skip = {"__pycache__", ".venv", "node_modules"}
    return sorted(
        path
        for pattern in patterns
        for path in base.rglob(pattern)
        if path.is_file() and not skip & set(path.parts)
    )


def files_checked(root: Path = ROOT) -> list[Path]:
    """src/**/*.py (migrations included) and deploy/**/*.sql, *.sh, working tree."""
    return _files(root / "src", ["*.py"]) + _files(root / "deploy", ["*.sql", "*.sh"])


def check_tree(root: Path = ROOT) -> list[Finding]:
    """Every finding in :func:`files_checked`."""
    findings: list[Finding] = []
    for path in files_checked(root):
        rel = path.relative_to(root).as_posix()
        check = {".py": check_python_source, ".sql": check_sql_source}.get(
            path.suffix, check_shell_source
        )
        findings += check(path.read_text(encoding="utf-8"), rel)
    return sorted(findings)
