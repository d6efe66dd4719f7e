"""tests/ mirrors src/faceless: ``tests/X/Y/test_*.py`` sits where ``src/faceless/X/Y/`` is.

The tests root maps to ``src/faceless/`` itself. Exempt: ``tests/static``, ``tests/e2e``
and ``tests/fixtures``.
"""

from __future__ import annotations

from pathlib import Path

from tests.static.architecture import misplaced_tests


def test_every_test_module_sits_in_a_folder_that_mirrors_src() -> None:
    offenders = misplaced_tests()
    assert not offenders, (
        "Test modules in folders with no counterpart under src/faceless/:\n  "
        + "\n  ".join(f"tests/{name}" for name in offenders)
        + "\nMove each next to the package it tests (tests/<package path>/test_*.py)."
    )


def test_the_checker_names_a_planted_misfit(tmp_path: Path) -> None:
    src, tests = tmp_path / "src" / "pkg", tmp_path / "tests"
    for folder in (src / "db" / "sub", src / "api"):
        folder.mkdir(parents=True)
    for name in (
        "test_root.py",
        "db/test_db.py",
        "db/sub/test_sub.py",
        "api/test_api.py",
        "tls/test_certs.py",
        "db/tls/test_nested.py",
        "static/test_rules.py",
        "e2e/deep/test_flow.py",
        "fixtures/test_data.py",
        "db/helpers.py",
    ):
        path = tests / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    assert misplaced_tests(tests, src) == ["db/tls/test_nested.py", "tls/test_certs.py"]
