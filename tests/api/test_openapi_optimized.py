"""The OpenAPI document is the same when the API process runs under ``python -OO``.

The API process runs with optimized bytecode (ADR 0033), which strips docstrings: any
OpenAPI text taken from an endpoint's or a model's docstring would vanish there while
every test, run without -OO, still saw it. A child ``-OO`` process builds the document
and it must equal, key order included, the one this (unoptimized) process builds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from faceless.app import create_app
from tests.conftest import make_settings

REPO_ROOT = Path(__file__).resolve().parents[2]

# Builds the document from settings like the test's own and writes it, with the
# optimization level the child really ran at, to the file named by argv[2].
CHILD = """
import json, sys
from pathlib import Path
from faceless.app import create_app
from tests.conftest import make_settings
directory, out = Path(sys.argv[1]), Path(sys.argv[2])
settings = make_settings(directory, f"sqlite+aiosqlite:///{directory}/openapi.db")
document = create_app(settings).openapi()
out.write_text(json.dumps({"optimize": sys.flags.optimize, "openapi": document}))
"""


def _openapi(directory: Path) -> dict[str, Any]:
    settings = make_settings(directory, f"sqlite+aiosqlite:///{directory}/openapi.db")
    return create_app(settings).openapi()


def _optimized_openapi(directory: Path) -> tuple[int, dict[str, Any]]:
    out = directory / "openapi.json"
    child = subprocess.run(
        [sys.executable, "-OO", "-X", "no_debug_ranges", "-c", CHILD, str(directory), str(out)],
        cwd=REPO_ROOT,  # the child imports tests.conftest from here
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    answer = json.loads(out.read_text())
    return answer["optimize"], answer["openapi"]


def _differences(expected: object, actual: object, path: str = "") -> Iterator[str]:
    """Where the two documents differ, as subscripts: ``['paths']['/health']['get']``."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected.keys() | actual.keys():
            where = f"{path}[{key!r}]"
            if key not in actual:
                yield f"{where}: missing under -OO"
            elif key not in expected:
                yield f"{where}: only under -OO"
            else:
                yield from _differences(expected[key], actual[key], where)
    elif isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for index, (left, right) in enumerate(zip(expected, actual, strict=True)):
            yield from _differences(left, right, f"{path}[{index}]")
    elif expected != actual:
        yield f"{path or 'the document'}: {expected!r:.60} != {actual!r:.60}"


def test_the_document_is_the_same_under_python_oo(tmp_path: Path) -> None:
    (tmp_path / "child").mkdir()
    optimize, optimized = _optimized_openapi(tmp_path / "child")
    assert optimize == 2, "the child did not run with -OO"
    expected = _openapi(tmp_path)

    differences = sorted(_differences(expected, optimized))
    assert not differences, f"{len(differences)} differences under -OO:\n  " + "\n  ".join(
        differences[:20]
    )
    # Served as is (FastAPI dumps it in insertion order): the bytes must match too.
    assert json.dumps(optimized) == json.dumps(expected)
