"""``faceless``: serve, worker, scheduler, migrate, users, audit, certs."""

from __future__ import annotations

from typing import Annotated

import typer

from faceless.cli import audit_cmd, certs_cmd, keys_cmd, nginx_cmd, serve_cmd, users_cmd, worker_cmd
from faceless.db.engine import is_sqlite
from faceless.db.migrate import upgrade
from faceless.settings import load_settings

app = typer.Typer(no_args_is_help=True, add_completion=False, help="FacelessYouTube API")
app.command("serve")(serve_cmd.serve)
app.command("worker")(worker_cmd.worker)
app.command("scheduler")(worker_cmd.scheduler)
app.command("nginx-config")(nginx_cmd.nginx_config)
app.add_typer(users_cmd.app, name="users")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(certs_cmd.app, name="certs")
app.add_typer(keys_cmd.app, name="keys")


@app.command("migrate")
def migrate(
    revision: Annotated[str, typer.Option(help="Target revision")] = "head",
) -> None:
    """Apply database migrations."""
    settings = load_settings()
    if is_sqlite(settings.database_url):
        settings.paths.var_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url, revision)
    typer.echo(f"database migrated to {revision}")
