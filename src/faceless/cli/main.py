"""``faceless``: the operator commands of API.md."""

from __future__ import annotations

import typer

from faceless.cli.lazy import LazyGroup
from faceless.logging import configure_logging

# The commands of faceless.cli.lazy.COMMANDS are imported when they run: `faceless serve`
# is the API process, which should hold the app and not every operator command (issue 11).
app = typer.Typer(
    cls=LazyGroup, no_args_is_help=True, add_completion=False, help="FacelessYouTube API"
)


@app.callback()
def _logging() -> None:
    """Log lines (JSON, redacted) go to stderr, so a command's own output stays clean."""
    configure_logging()
