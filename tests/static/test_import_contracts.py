"""The import-linter contracts in pyproject.toml hold, and a planted violation breaks them.

``lint-imports`` checks the layers (entry above features above platform), that services,
repositories, tasks and the worker stay clear of fastapi, starlette and faceless.api, and
that no feature imports another feature's endpoints or dependencies. To be sure it checks
what we think, each contract is also broken on purpose in a copy of the package.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.static import lint_imports


def test_the_import_contracts_hold() -> None:
    result = lint_imports.run()
    assert result.returncode == 0, (
        "lint-imports (contracts in pyproject.toml [tool.importlinter]):\n"
        + result.stdout
        + result.stderr
    )


@pytest.mark.parametrize(
    ("contract", "module", "planted", "expected"),
    [
        (
            "layers",
            "models/__init__.py",
            "import faceless.app  # planted",
            "faceless.models -> faceless.app (l.{line})",
        ),
        (
            "no-http-in-core",
            "worker/queue.py",
            "import starlette.responses  # planted",
            "faceless.worker.queue -> starlette (l.{line})",
        ),
        (
            "feature-http-private",
            "keys/service.py",
            "from faceless.users import endpoints  # planted",
            "faceless.keys.service -> faceless.users.endpoints (l.{line})",
        ),
    ],
    ids=["layers", "no-http-in-core", "feature-http-private"],
)
def test_a_planted_violation_breaks_its_contract(
    tmp_path: Path, contract: str, module: str, planted: str, expected: str
) -> None:
    root = lint_imports.copy_package(tmp_path)
    target = root / "faceless" / module
    source = target.read_text() if target.exists() else ""
    target.write_text(f"{source}\n{planted}\n")
    line = source.count("\n") + 2

    result = lint_imports.run(root)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    # The planted import is named, so the copy and not src/ was analysed ...
    assert expected.format(line=line) in output, output
    # ... under the contract it breaks.
    assert f"{lint_imports.contract_name(contract)} BROKEN" in output, output
