"""``faceless db``: database hardening checks."""

from __future__ import annotations

import asyncio

import typer

from faceless.db.verify.runner import Check, Status, format_check, run_checks
from faceless.runtime.container import command_runtime
from faceless.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, help="Database hardening checks.")


async def _verify(settings: Settings) -> list[Check]:
    async with command_runtime(settings) as runtime:
        return await run_checks(runtime)


@app.command("verify")
def verify() -> None:
    """Check the hardening as the runtime role (DATABASE_URL): one PASS/FAIL line per check.

    Exit 1 when any check fails (for CI). On SQLite the PostgreSQL checks are skipped.
    """
    checks = asyncio.run(_verify(load_settings()))
    for check in checks:
        typer.echo(format_check(check))
    failed = [c.name for c in checks if c.status is Status.FAIL]
    if failed:
        typer.echo(f"{len(failed)} check(s) failed: {', '.join(failed)}", err=True)
        raise typer.Exit(1)
    typer.echo(f"all {sum(c.status is Status.PASS for c in checks)} checks passed")
