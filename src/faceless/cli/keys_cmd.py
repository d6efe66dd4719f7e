"""``faceless keys rotate``: re-seal encrypted columns under the current data key."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from faceless.keys.service import RotationReport, rotate_data_keys
from faceless.runtime.container import command_runtime
from faceless.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, help="Data encryption keys (DATA_ENCRYPTION_KEY).")


async def _rotate(settings: Settings, batch_size: int) -> RotationReport:
    async with command_runtime(settings) as runtime:
        return await rotate_data_keys(
            runtime.sessions, runtime.data_protection, batch_size=batch_size
        )


def format_report(report: RotationReport) -> str:
    names = [f"{col.table}.{col.column}" for col in report.columns]
    width = max([len("table.column"), *map(len, names)])
    header = f"{'table.column':<{width}} {'rotated':>8} {'sealed':>8} {'raced':>6} {'failed':>7}"
    lines = [f"current key: {report.current_kid}", header]
    for name, col in zip(names, report.columns, strict=True):
        counts = f"{col.rotated:>8} {col.sealed:>8} {col.raced:>6} {col.failed:>7}"
        lines.append(f"{name:<{width}} {counts}")
    lines.extend(f"  failed: {message}" for col in report.columns for message in col.failures)
    return "\n".join(lines)


@app.command("rotate")
def rotate(
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Rows per transaction")] = 500,
) -> None:
    """Re-encrypt every encrypted value under the current key (resumable; exit 1 on failures).

    rotated: re-sealed from an older key; sealed: legacy plaintext encrypted for the first
    time; raced: rewritten by the application meanwhile (already under the current key).
    """
    report = asyncio.run(_rotate(load_settings(), batch_size))
    typer.echo(format_report(report))
    if not report.ok:
        raise typer.Exit(1)
