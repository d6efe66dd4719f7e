"""``faceless secrets``: validate, reload and rotate secrets."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Validate and rotate secrets.")
