"""docs/runbook.md names only commands that exist, with options they have.

Every ```faceless ...``` in the runbook is resolved against the real command tree: each
word must be a (sub)command, each ``--option`` one of that command's options, and
``--help`` of the command must work. The runbook must also cover every incident the
on-call procedures promise.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from faceless.cli.main import app

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"
INCIDENTS = (
    "Leaked JWT signing key",
    "Leaked data key",
    "Leaked database password",
    "Redis down",
    "Secret backend down",
    "Broken audit chain",
    "Restore from backup",
    "Certificate renewal",
)


def runbook_commands() -> list[str]:
    found = re.findall(r"`(faceless [^`]+)`", RUNBOOK.read_text())
    return sorted({command for command in found if re.match(r"faceless [a-z]", command)})


def _subcommands(command: Any) -> dict[str, Any]:
    # Typer bundles its own Click: a group is whatever has subcommands.
    found: dict[str, Any] = getattr(command, "commands", {})
    return found


def resolve(command: str) -> tuple[list[str], Any, list[str]]:
    """(command path, the Click command, the --options written after it)."""
    words = command.split()[1:]
    current: Any = typer.main.get_command(app)
    path: list[str] = []
    for word in words:
        if word not in _subcommands(current):
            break
        current = _subcommands(current)[word]
        path.append(word)
    options = [word.split("=")[0] for word in words if word.startswith("--")]
    return path, current, options


def test_the_runbook_names_commands_at_all() -> None:
    assert len(runbook_commands()) >= 20


@pytest.mark.parametrize("command", runbook_commands())
def test_each_runbook_command_exists_with_its_options(command: str) -> None:
    path, resolved, options = resolve(command)
    assert path, f"{command!r}: not a faceless command"
    assert not _subcommands(resolved), f"{command!r}: names a group, not a command"
    known = {opt for param in resolved.params for opt in param.opts}
    assert set(options) <= known, f"{command!r}: unknown options {set(options) - known}"
    result = CliRunner().invoke(app, [*path, "--help"], prog_name="faceless")
    assert result.exit_code == 0, result.output
    assert f"faceless {' '.join(path)}" in " ".join(result.output.split())


def test_the_runbook_covers_every_incident() -> None:
    text = RUNBOOK.read_text()
    for incident in INCIDENTS:
        assert f"\n### {incident}\n" in text, incident
