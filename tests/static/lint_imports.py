"""Run import-linter (``lint-imports``) on the contracts in pyproject.toml.

:func:`run` checks the package that ``faceless`` imports as; :func:`copy_package` makes a
copy to plant a violation in, and :func:`run` with ``package_root`` checks that copy instead,
under the very same contracts.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from tests.static.architecture import PACKAGE, ROOT

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = ROOT / "pyproject.toml"


def run(package_root: Path | None = None) -> subprocess.CompletedProcess[str]:
    """lint-imports from the repository root; ``package_root`` first on the path if given.

    No cache (it would be written to the working directory), no logo, and wide lines so
    that no message is wrapped.
    """
    env = {**os.environ, "COLUMNS": "250", "NO_COLOR": "1"}
    if package_root is not None:
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, (str(package_root), os.environ.get("PYTHONPATH")))
        )
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache", str(CONFIG)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def contracts() -> list[dict[str, Any]]:
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = config["tool"]["importlinter"]["contracts"]
    return found


def contract_name(contract_id: str) -> str:
    return next(str(c["name"]) for c in contracts() if c["id"] == contract_id)


def required_layers() -> list[str]:
    """Every module the layers contracts require (optional "(name)" layers left out)."""
    modules = []
    for contract in contracts():
        if contract["type"] != "layers":
            continue
        containers = contract.get("containers") or [""]
        for layer in contract["layers"]:
            for tail in str(layer).replace("|", ":").split(":"):
                tail = tail.strip()
                if not tail.startswith("("):
                    modules += [".".join(filter(None, (c, tail))) for c in containers]
    return modules


def copy_package(destination: Path) -> Path:
    """A copy of src/faceless under ``destination``, with an empty package for each layer
    the contracts require that the tree lacks (so that a copy of a tree in the middle of
    the restructure is still checked contract by contract); returns ``destination``."""
    shutil.copytree(PACKAGE, destination / "faceless", ignore=shutil.ignore_patterns("__pycache__"))
    for module in required_layers():
        folder = destination.joinpath(*module.split("."))
        if not folder.with_suffix(".py").exists() and not folder.is_dir():
            folder.mkdir()
            (folder / "__init__.py").write_text('"""Stand-in for a layer yet to come."""\n')
    return destination
