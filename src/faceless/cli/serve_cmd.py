"""``faceless serve``: the API server (uvicorn) with first-run set-up."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
import uvicorn

from faceless.db.engine import is_sqlite
from faceless.db.migrate import upgrade
from faceless.db.session import transaction
from faceless.logging import configure_logging
from faceless.security.passwords import PasswordHashing
from faceless.services import build_services
from faceless.settings import Settings, load_settings
from faceless.users.service import bootstrap_admin


async def _first_run(settings: Settings) -> str | None:
    services = build_services(settings)
    try:
        async with transaction(services.sessions) as session:
            return await bootstrap_admin(session, PasswordHashing(1))
    finally:
        await services.engine.dispose()


def prepare(settings: Settings) -> None:
    """Embedded default: create var/, migrate SQLite, create the first admin."""
    settings.paths.var_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if is_sqlite(settings.database_url):
        upgrade(settings.database_url)
    password = asyncio.run(_first_run(settings))
    if password:
        # Straight to stdout, never through logging: it is shown exactly once.
        typer.echo(f"Initial admin password (shown once): {password}")


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8443,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes")] = 1,
) -> None:
    """Run the API."""
    settings = load_settings()
    configure_logging()
    prepare(settings)
    uvicorn.run(
        "faceless.main:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
        # Client IP and scheme come from faceless.security.proxy, trusted proxies only.
        proxy_headers=False,
        access_log=False,
        log_config=None,
        lifespan="on",
    )
