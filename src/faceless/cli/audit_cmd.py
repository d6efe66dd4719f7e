"""``faceless audit verify``: recompute the audit hash chain."""

from __future__ import annotations

import asyncio

import typer

from faceless.audit.service import ChainReport, verify_chain
from faceless.db.session import transaction
from faceless.services import build_services
from faceless.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, help="The audit trail.")


async def _verify(settings: Settings) -> ChainReport:
    services = build_services(settings)
    try:
        async with transaction(services.sessions) as session:
            return await verify_chain(session)
    finally:
        await services.engine.dispose()


@app.command("verify")
def verify() -> None:
    """Exit 0 when the chain is intact; otherwise name the first broken entry and exit 1."""
    report = asyncio.run(_verify(load_settings()))
    if report.valid:
        typer.echo(f"audit chain intact: {report.entries} entries")
        return
    typer.echo(f"audit chain BROKEN at entry {report.first_bad_id}", err=True)
    raise typer.Exit(1)
