"""A command group that imports a command's module only when that command is looked up.

``faceless serve`` runs the API in its own process (one worker), so whatever the CLI
imports stays resident next to the app: the backup, posture, nginx, key and database
commands and their libraries cost the API process memory it never uses (issue 11). Each
command here is named by ``"module:attribute"`` (a function, or a ``typer.Typer`` of
subcommands) and built on first lookup; ``faceless --help`` still lists them all.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Any

import typer
from typer import _click  # typer's own copy of click, whose types its group methods take
from typer.core import TyperGroup

# Command name -> "module:attribute", in the order `faceless --help` lists them.
COMMANDS: dict[str, str] = {
    "serve": "faceless.cli.serve_cmd:serve",
    "worker": "faceless.cli.worker_cmd:worker",
    "scheduler": "faceless.cli.worker_cmd:scheduler",
    "nginx-config": "faceless.cli.nginx_cmd:nginx_config",
    "security-check": "faceless.cli.security_check_cmd:security_check",
    "migrate": "faceless.cli.migrate_cmd:migrate",
    "users": "faceless.cli.users_cmd:app",
    "audit": "faceless.cli.audit_cmd:app",
    "certs": "faceless.cli.certs_cmd:app",
    "keys": "faceless.cli.keys_cmd:app",
    "db": "faceless.cli.db_cmd:app",
    "secrets": "faceless.cli.secrets_cmd:app",  # pragma: allowlist secret (a command name)
    "publisher": "faceless.cli.publisher_cmd:app",
    "backup": "faceless.cli.backup_cmd:app",
}


def load_command(name: str, target: str) -> _click.Command:
    """The click command typer builds for ``target`` registered as ``name``."""
    module, attribute = target.split(":")
    found = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer()
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
    else:
        holder.command(name)(found)
    return typer.main.get_group(holder).commands[name]


class LazyCommands(MutableMapping[str, _click.Command]):
    """The group's commands: those in ``COMMANDS`` are built when first read."""

    def __init__(self, registered: MutableMapping[str, _click.Command]) -> None:
        self._built = dict(registered)

    def __getitem__(self, name: str) -> _click.Command:
        if name not in self._built and name in COMMANDS:
            self._built[name] = load_command(name, COMMANDS[name])
        return self._built[name]

    def __setitem__(self, name: str, command: _click.Command) -> None:
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        del self._built[name]

    def __contains__(self, name: object) -> bool:
        return name in COMMANDS or name in self._built

    def __iter__(self) -> Iterator[str]:
        yield from COMMANDS
        yield from (name for name in self._built if name not in COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS.keys() | self._built.keys())


class LazyGroup(TyperGroup):
    """The root group (``typer.Typer(cls=LazyGroup)``): ``COMMANDS`` plus any registered."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(self.commands)

    def list_commands(self, ctx: _click.Context) -> list[str]:
        return list(self.commands)  # the names alone: nothing is imported to list them
