"""``faceless``: the operator commands of API.md."""

from __future__ import annotations

from typing import Annotated

import typer

from faceless.cli import (
    audit_cmd,
    backup_cmd,
    certs_cmd,
    db_cmd,
    keys_cmd,
    nginx_cmd,
    publisher_cmd,
    secrets_cmd,
    security_check_cmd,
    serve_cmd,
    users_cmd,
    worker_cmd,
)
from faceless.cli.preflight import require_valid_secrets
from faceless.db.engine import is_sqlite
from faceless.db.migrate import upgrade
from faceless.fileio import private_dirs
from faceless.logging import configure_logging
from faceless.settings import load_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="FacelessYouTube API")


@app.callback()
def _logging() -> None:
    """Log lines (JSON, redacted) go to stderr, so a command's own output stays clean."""
    configure_logging()


app.command("serve")(serve_cmd.serve)
app.command("worker")(worker_cmd.worker)
app.command("scheduler")(worker_cmd.scheduler)
app.command("nginx-config")(nginx_cmd.nginx_config)
app.command("security-check")(security_check_cmd.security_check)
app.add_typer(users_cmd.app, name="users")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(certs_cmd.app, name="certs")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(db_cmd.app, name="db")
app.add_typer(secrets_cmd.app, name="secrets")
app.add_typer(publisher_cmd.app, name="publisher")
app.add_typer(backup_cmd.app, name="backup")


@app.command("migrate")
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
