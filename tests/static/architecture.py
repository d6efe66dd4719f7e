"""Checks of the package layout that read the source with ``ast`` (nothing is imported).

Each check takes the directories it reads as arguments, so the tests run it on the tree and
on small planted examples in a temporary directory alike:

* :func:`import_graph` and :func:`find_cycles`: the module import graph and its cycles.
* :func:`sql_outside_repositories`: SQL constructs outside ``repository.py`` and the
  database packages.
* :func:`long_files` and :func:`long_functions`: size limits.
* :func:`misplaced_tests`: test modules in folders that do not mirror ``src/faceless``.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "faceless"
TESTS = ROOT / "tests"


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int  # 0: the whole file
    detail: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.detail}"


def python_files(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*.py") if "__pycache__" not in p.parts)


def _parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _display(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else path.as_posix()


# -- the import graph -----------------------------------------------------------------


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool  # an __init__.py


@dataclass
class ImportGraph:
    modules: dict[str, Module]
    # importer -> imported -> line of the first such import in the importer
    edges: dict[str, dict[str, int]]


def _modules(src_root: Path, package: str) -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for path in python_files(src_root / package):
        parts = list(path.relative_to(src_root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts.pop()
        name = ".".join(parts)
        modules[name] = Module(name, path, is_package)
    return modules


def _existing(name: str, modules: dict[str, Module]) -> str | None:
    """``name`` if it is a module, else its nearest ancestor that is; None if outside."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports_of(module: Module, modules: dict[str, Module]) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import anywhere in ``module``'s source."""
    package = module.name if module.is_package else module.name.rpartition(".")[0]
    for node in ast.walk(_parse(module.path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _existing(alias.name, modules)
                if target:
                    yield target, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                target = submodule if submodule in modules else _existing(origin, modules)
                if target:
                    yield target, node.lineno


def import_graph(src_root: Path = SRC, package: str = "faceless") -> ImportGraph:
    """Every import in ``src_root/package``: top level, under TYPE_CHECKING, in functions.

    ``from x import y`` where ``x.y`` is a module is an import of ``x.y``; relative imports
    are resolved; imports from outside the package are left out. A package's ``__init__``
    importing modules inside that package is left out too: that is how a package exposes
    its contents, not a cycle.
    """
    modules = _modules(src_root, package)
    edges: dict[str, dict[str, int]] = {name: {} for name in modules}
    for module in modules.values():
        for target, line in _imports_of(module, modules):
            inside_own_package = module.is_package and target.startswith(module.name + ".")
            if target != module.name and not inside_own_package:
                edges[module.name].setdefault(target, line)
    return ImportGraph(modules, edges)


def _strongly_connected(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(edges):
        if start in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(edges[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _shortest_cycle(start: str, members: set[str], edges: dict[str, dict[str, int]]) -> list[str]:
    """The shortest path start -> ... -> start inside one strongly connected component."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for successor in sorted(edges[node]):
                if successor == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if successor in members and successor not in previous:
                    previous[successor] = node
                    following.append(successor)
        frontier = following
    raise AssertionError(f"{start} is not on a cycle")


@dataclass(frozen=True)
class Cycle:
    members: tuple[str, ...]  # the whole strongly connected component
    example: tuple[str, ...]  # one cycle through it: a -> b -> ... -> a
    lines: tuple[int, ...]  # the line of each import in ``example``

    def __str__(self) -> str:
        steps = "\n    ".join(
            f"{a} -> {b} (line {line})"
            for a, b, line in zip(self.example[:-1], self.example[1:], self.lines, strict=True)
        )
        return (
            f"{len(self.members)} modules import each other in a cycle: "
            f"{', '.join(self.members)}\n  for example:\n    {steps}"
        )


def find_cycles(graph: ImportGraph) -> list[Cycle]:
    cycles = []
    for component in _strongly_connected(graph.edges):
        if len(component) < 2:
            continue
        example = _shortest_cycle(component[0], set(component), graph.edges)
        lines = tuple(graph.edges[a][b] for a, b in itertools.pairwise(example))
        cycles.append(Cycle(tuple(component), tuple(example), lines))
    return cycles


# -- SQL placement --------------------------------------------------------------------

SQL_MODULES = frozenset(
    {"sqlalchemy", "sqlalchemy.sql", "sqlalchemy.sql.expression", "sqlalchemy.future"}
)
SQL_CONSTRUCTS = frozenset(
    {
        "select", "insert", "update", "delete", "text", "func", "and_", "or_", "not_",
        "exists", "literal", "literal_column", "case", "cast", "bindparam", "column",
        "table", "values", "union", "union_all", "tuple_", "null", "true", "false",
    }
)  # fmt: skip
SQL_FOLDERS = ("db", "migrations", "models")


def _is_sql_module(name: str) -> bool:
    return name in SQL_MODULES or name.startswith("sqlalchemy.dialects.")


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        prefix = _dotted(node.value)
        return f"{prefix}.{node.attr}" if prefix else None
    return None


def sql_constructs(source: str, path: str) -> list[Finding]:
    """Every SQL construct ``source`` imports from SQLAlchemy or reaches as an attribute."""
    tree = ast.parse(source, filename=path)
    found: list[Finding] = []
    aliases: dict[str, str] = {}  # local name -> the module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    if alias.asname:
                        aliases[alias.asname] = alias.name
                    else:
                        aliases["sqlalchemy"] = "sqlalchemy"
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _is_sql_module(node.module) and alias.name in SQL_CONSTRUCTS:
                    found.append(Finding(path, node.lineno, f"imports {full}"))
                elif _is_sql_module(full) or full == "sqlalchemy.dialects":
                    aliases[alias.asname or alias.name] = full
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in SQL_CONSTRUCTS:
            dotted = _dotted(node.value)
            if dotted is None:
                continue
            head, _, rest = dotted.partition(".")
            if head in aliases:
                module = ".".join(filter(None, (aliases[head], rest)))
                if _is_sql_module(module):
                    found.append(Finding(path, node.lineno, f"uses {module}.{node.attr}"))
    return sorted(set(found))


def sql_allowed(path: Path, package_dir: Path) -> bool:
    relative = path.relative_to(package_dir)
    return path.name == "repository.py" or relative.parts[0] in SQL_FOLDERS


def sql_outside_repositories(package_dir: Path = PACKAGE) -> list[Finding]:
    found: list[Finding] = []
    for path in python_files(package_dir):
        if not sql_allowed(path, package_dir):
            found += sql_constructs(path.read_text(encoding="utf-8"), _display(path))
    return found


# -- size -----------------------------------------------------------------------------

MAX_FILE_LINES = 400
MAX_FUNCTION_LINES = 60
TYPER_DECORATORS = frozenset({"command", "callback"})
MIGRATION_FUNCTIONS = frozenset({"upgrade", "downgrade"})


def long_files(directory: Path = SRC, limit: int = MAX_FILE_LINES) -> list[Finding]:
    """Every file (any kind) under ``directory`` with more than ``limit`` lines."""
    found = []
    for path in sorted(directory.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            lines = len(path.read_bytes().splitlines())
            if lines > limit:
                found.append(Finding(_display(path), 0, f"{lines} lines (limit {limit})"))
    return found


def _is_typer_decorator(node: ast.expr) -> bool:
    """``@app.command``, ``@users.command("add")``, ``@app.callback()``..."""
    target = node.func if isinstance(node, ast.Call) else node
    return isinstance(target, ast.Attribute) and target.attr in TYPER_DECORATORS


def _registered_commands(tree: ast.Module) -> set[str]:
    """Functions registered without the ``@``: ``app.command("serve")(serve_cmd.serve)``,
    or named for the lazy root group as ``"faceless.cli.serve_cmd:serve"``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            target = re.fullmatch(r"faceless\.cli\.\w+:(\w+)", node.value)
            if target:
                names.add(target.group(1))
        if isinstance(node, ast.Call) and _is_typer_decorator(node.func) and node.args:
            registered = node.args[0]
            if isinstance(registered, ast.Name):
                names.add(registered.id)
            elif isinstance(registered, ast.Attribute):
                names.add(registered.attr)
    return names


def long_functions(package_dir: Path = PACKAGE, limit: int = MAX_FUNCTION_LINES) -> list[Finding]:
    """Functions longer than ``limit`` lines, from the first decorator to the last line.

    Typer commands in ``cli/`` (decorated as commands or callbacks, or registered by
    calling ``app.command(...)`` on them anywhere in ``cli/``) are measured without
    their signature, whose ``Annotated`` options are the command's interface: their
    body still has to fit. Alembic's ``upgrade``/``downgrade`` in
    ``migrations/versions/`` are exempt.
    """
    trees = {path: _parse(path) for path in python_files(package_dir)}
    commands = set()
    for path, tree in trees.items():
        if path.relative_to(package_dir).parts[0] == "cli":
            commands |= _registered_commands(tree)
    found = []
    for path, tree in trees.items():
        relative = path.relative_to(package_dir)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            typer_command = relative.parts[0] == "cli" and (
                node.name in commands or any(map(_is_typer_decorator, node.decorator_list))
            )
            migration = relative.parts[:2] == ("migrations", "versions") and (
                node.name in MIGRATION_FUNCTIONS
            )
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            if typer_command:
                first = node.body[0].lineno
            assert node.end_lineno is not None
            lines = node.end_lineno - first + 1
            if lines > limit and not migration:
                what = "the body of " if typer_command else ""
                detail = f"{what}{node.name}() is {lines} lines (limit {limit})"
                found.append(Finding(_display(path), first, detail))
    return sorted(found)


# -- tests mirror src -----------------------------------------------------------------

TESTS_OUTSIDE_MIRROR = ("static", "e2e", "fixtures")


def misplaced_tests(
    tests_dir: Path = TESTS,
    package_dir: Path = PACKAGE,
    exempt: Iterable[str] = TESTS_OUTSIDE_MIRROR,
) -> list[str]:
    """Test modules whose folder (relative to ``tests_dir``) is no folder of the package."""
    exempt = tuple(exempt)
    found = []
    for path in sorted(tests_dir.rglob("test_*.py")):
        folder = path.parent.relative_to(tests_dir)
        if folder.parts and folder.parts[0] in exempt:
            continue
        if not (package_dir / folder).is_dir():
            found.append(path.relative_to(tests_dir).as_posix())
    return found
