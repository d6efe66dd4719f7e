"""No import cycles in src/faceless, and the cycle finder itself finds them.

Every import counts: top level, under ``if TYPE_CHECKING:`` and inside functions, relative
ones resolved. The one exception is a package's ``__init__`` importing its own modules.
See :func:`tests.static.architecture.import_graph`.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from tests.static.architecture import find_cycles, import_graph


def test_src_has_no_import_cycle() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "Import cycles in src/faceless:\n" + "\n".join(map(str, cycles))


def test_the_graph_reads_the_whole_package() -> None:
    graph = import_graph()
    assert len(graph.modules) > 150
    assert "faceless.db.session" in graph.edges["faceless.api.deps"]


# -- the checker on planted examples -------------------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = tmp_path / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source))
    return tmp_path


def test_a_planted_cycle_is_found_and_named(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg import b\n",
            "b.py": """\
                from typing import TYPE_CHECKING

                if TYPE_CHECKING:
                    from pkg.a import Thing
            """,
        },
    )
    cycles = find_cycles(import_graph(root, "pkg"))
    assert [c.members for c in cycles] == [("pkg.a", "pkg.b")]
    assert "pkg.a -> pkg.b (line 1)" in str(cycles[0])
    assert "pkg.b -> pkg.a (line 4)" in str(cycles[0])


def test_imports_in_functions_and_relative_ones_count(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "sub/__init__.py": "",
            "sub/c.py": "def late():\n    from .. import d\n",
            "d.py": "from .sub.c import late\n",
        },
    )
    cycles = find_cycles(import_graph(root, "pkg"))
    assert [c.example for c in cycles] == [("pkg.d", "pkg.sub.c", "pkg.d")]


def test_a_package_init_may_import_its_own_modules(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "from pkg.a import A\nfrom . import b\n",
            "a.py": "import pkg\nA = 1\n",
            "b.py": "from pkg import A\n",
        },
    )
    assert find_cycles(import_graph(root, "pkg")) == []
