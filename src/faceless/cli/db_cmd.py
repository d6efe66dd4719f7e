"""``faceless db``: database hardening checks."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Database hardening checks.")
