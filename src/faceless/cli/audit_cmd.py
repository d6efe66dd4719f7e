"""``faceless audit verify`` and ``faceless audit export-head``."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from faceless.db.audit.chain import Reason
from faceless.db.audit.head_export import ExportResult, HeadSigner, Outcome, export_head
from faceless.db.audit.sequencer import chain_pending
from faceless.db.audit.verify import ChainReport, verify_chain
from faceless.db.session import transaction
from faceless.runtime.container import command_runtime
from faceless.settings import Settings, load_settings

# Failures only the off-database export can reveal, or that concern the export itself.
_EXPORT_REASONS = {Reason.REWRITTEN, Reason.EXPORT_SIGNATURE, Reason.EXPORT_UNREADABLE}

app = typer.Typer(no_args_is_help=True, help="The audit trail.")


async def _verify(settings: Settings) -> tuple[int, ChainReport]:
    """Chain what a stopped process left in the inbox, then verify: (chained, report)."""
    async with command_runtime(settings) as runtime:
        chained = await chain_pending(runtime.engine)
        async with transaction(runtime.sessions) as session:
            report = await verify_chain(
                session,
                head_file=settings.audit_head_file,
                keyring=runtime.data_protection.cipher.keyring,
            )
        return chained, report


async def _export(settings: Settings, *, force: bool) -> ExportResult:
    async with command_runtime(settings) as runtime:
        return await export_head(
            runtime.read_sessions,
            HeadSigner(runtime.data_protection.cipher.keyring),
            settings.audit_head_file,
            force=force,
        )


@app.command("verify")
def verify() -> None:
    """Exit 0 when the chain is intact and matches its last export; otherwise exit 1."""
    settings = load_settings()
    chained, report = asyncio.run(_verify(settings))
    if chained:
        # Committed by a process that stopped before chaining them (ADR 0022).
        typer.echo(f"chained {chained} recorded events that were waiting in the inbox")
    if report.valid:
        typer.echo(f"audit chain intact: {report.entries} entries")
        return
    where = f"at entry {report.first_bad_id}" if report.first_bad_id else "(no entry to blame)"
    typer.echo(f"audit chain BROKEN {where}: {report.reason}", err=True)
    if report.reason in _EXPORT_REASONS:
        typer.echo(f"(found by comparing with {settings.audit_head_file})", err=True)
    raise typer.Exit(1)


@app.command("export-head")
def export_head_command(
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Overwrite an export that disagrees with the database (after investigating).",
        ),
    ] = False,
) -> None:
    """Export the chain head (id, hash, HMAC) to AUDIT_HEAD_FILE now, e.g. from cron.

    Exits 1 when the previous export disagrees with the database (truncated or
    rewritten chain, forged export): that export is kept as evidence.
    """
    settings = load_settings()
    result = asyncio.run(_export(settings, force=force))
    path = settings.audit_head_file
    if result.outcome is Outcome.REFUSED:
        typer.echo(f"refusing to replace {path}: {result.reason} (see --force)", err=True)
        raise typer.Exit(1)
    last_id = result.export.last_id if result.export else 0
    if result.outcome is Outcome.WRITTEN:
        typer.echo(f"audit head exported to {path}: entry {last_id}")
    else:
        typer.echo(f"audit head unchanged at entry {last_id}: {path}")
