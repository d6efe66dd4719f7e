"""Size limits: no file in src/ over 400 lines, no function over 60 (decorators included).

Typer commands in ``faceless/cli/`` are measured without their signature (it declares
every option); Alembic's ``upgrade``/``downgrade`` in ``faceless/migrations/versions/``
are exempt.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.static.architecture import (
    MAX_FILE_LINES,
    MAX_FUNCTION_LINES,
    long_files,
    long_functions,
)


def test_no_file_in_src_is_over_the_limit() -> None:
    findings = long_files()
    assert not findings, f"Files over {MAX_FILE_LINES} lines:\n  " + "\n  ".join(map(str, findings))


def test_no_function_in_src_is_over_the_limit() -> None:
    findings = long_functions()
    assert not findings, f"Functions over {MAX_FUNCTION_LINES} lines:\n  " + "\n  ".join(
        map(str, findings)
    )


# -- the checker on planted examples -------------------------------------------------


def _function(name: str, body_lines: int, decorator: str = "") -> str:
    body = "".join(f"    x{i} = {i}\n" for i in range(body_lines))
    return f"{decorator}def {name}():\n{body}"


def _plant(package: Path, relative: str, source: str) -> None:
    path = package / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source)


def test_a_long_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "big.j2").write_text("line\n" * 401)
    (tmp_path / "small.py").write_text("x = 1\n" * 400)
    assert [str(f) for f in long_files(tmp_path)] == [
        f"{(tmp_path / 'big.j2').as_posix()}: 401 lines (limit 400)"
    ]


def test_a_function_over_the_limit_counts_its_decorators(tmp_path: Path) -> None:
    source = _function("fits", 59) + _function("too_long", 59, "@cache\n")
    _plant(tmp_path, "videos/service.py", source)
    findings = long_functions(tmp_path)
    assert [(f.line, f.detail) for f in findings] == [(61, "too_long() is 61 lines (limit 60)")]


def test_methods_and_nested_functions_are_measured(tmp_path: Path) -> None:
    nested = textwrap.indent(_function("inner", 61), "    ")
    _plant(tmp_path, "worker/runner.py", f"class Runner:\n{nested}")
    assert [f.detail for f in long_functions(tmp_path)] == ["inner() is 62 lines (limit 60)"]


def _command(name: str, options: int, body_lines: int, decorator: str = "") -> str:
    signature = "".join(f"    o{i}: int = {i},\n" for i in range(options))
    body = "".join(f"    x{i} = {i}\n" for i in range(body_lines))
    return f"{decorator}def {name}(\n{signature}) -> None:\n{body}"


def test_typer_signatures_and_migrations_are_exempt(tmp_path: Path) -> None:
    decorated = _command("create", 70, 10, "@app.command()\n")
    decorated += _command("main", 70, 10, '@users.command("main", help="x")\n')
    decorated += _command("root", 5, 61, "@app.callback()\n")
    _plant(tmp_path, "cli/users_cmd.py", decorated)
    registered = _command("serve", 70, 60) + _command("helper", 70, 10)
    _plant(tmp_path, "cli/serve_cmd.py", registered)
    _plant(tmp_path, "cli/main.py", 'app.command("serve")(serve_cmd.serve)\n')
    _plant(tmp_path, "cli/nginx_cmd.py", _command("nginx_config", 70, 10))
    _plant(tmp_path, "cli/lazy.py", 'COMMANDS = {"nginx": "faceless.cli.nginx_cmd:nginx_config"}\n')
    migration = _function("upgrade", 70) + _function("downgrade", 70) + _function("_fill", 70)
    _plant(tmp_path, "migrations/versions/0009_big.py", migration)
    # The same decorator outside cli/ is no excuse, nor a name upgrade() elsewhere.
    _plant(tmp_path, "jobs/service.py", _function("run", 70, "@app.command()\n"))
    _plant(tmp_path, "db/migrate.py", _function("upgrade", 70))
    flagged = sorted(
        f"{Path(f.path).relative_to(tmp_path)}: {f.detail}" for f in long_functions(tmp_path)
    )
    assert flagged == [
        "cli/serve_cmd.py: helper() is 82 lines (limit 60)",
        "cli/users_cmd.py: the body of root() is 61 lines (limit 60)",
        "db/migrate.py: upgrade() is 71 lines (limit 60)",
        "jobs/service.py: run() is 72 lines (limit 60)",
        "migrations/versions/0009_big.py: _fill() is 71 lines (limit 60)",
    ]
