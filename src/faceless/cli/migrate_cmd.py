"""``faceless migrate``: apply the database migrations."""

from __future__ import annotations

from typing import Annotated

import typer

from faceless.cli.preflight import require_valid_secrets
from faceless.db.engine import is_sqlite
from faceless.db.migrate import upgrade
from faceless.fileio import private_dirs
from faceless.settings import load_settings


def migrate(
    revision: Annotated[str, typer.Option(help="Target revision")] = "head",
) -> None:
    """Apply database migrations."""
    settings = require_valid_secrets(load_settings())
    # The owner role runs DDL; the runtime role in DATABASE_URL is not allowed to.
    url = settings.database.migration_url or settings.database_url
    if is_sqlite(url):
        private_dirs(settings.paths.var_dir)
    upgrade(url, revision)
    typer.echo(f"database migrated to {revision}")
