"""``faceless security-check``: the measured security posture of a running instance.

Exit 0 when the score is at least ``--min-score``, 1 below it, 2 when the target cannot
be reached (or the URL is not one). ``--local`` adds the checks only the server's host
can make, with this process's settings: run it where the server runs, as its user.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from faceless.db.verify.runner import Check, run_checks
from faceless.posture.local import bounds_check, database_checks, file_modes_check, secrets_check
from faceless.posture.runner import LocalInputs, measure
from faceless.posture.target import TargetError, UnreachableError, parse_target
from faceless.runtime.container import build_runtime
from faceless.secrets.errors import SafeSecretError
from faceless.secrets.factory import build_secret_manager
from faceless.secrets.manager import SecretBackendError
from faceless.settings import Settings, load_settings


async def _database(settings: Settings) -> list[Check] | str:
    try:
        runtime = build_runtime(settings)
    except (SafeSecretError, SecretBackendError) as exc:
        return f"faceless db verify could not start: {exc}"
    try:
        return await run_checks(runtime)
    finally:
        await runtime.close()


def _local(settings: Settings) -> LocalInputs:
    manager = build_secret_manager(settings)
    results = [secrets_check(settings, manager), file_modes_check(settings)]
    results += database_checks(asyncio.run(_database(settings)))
    results.append(bounds_check(settings))
    return LocalInputs(results, metrics_allow=list(settings.http.metrics_allow))


def security_check(
    url: Annotated[
        str | None, typer.Argument(help="The instance's origin (default: PUBLIC_URL)")
    ] = None,
    http_url: Annotated[
        str | None,
        typer.Option("--http-url", help="Its plain-HTTP listener (default: port 80 of the host)"),
    ] = None,
    ca_file: Annotated[
        Path | None,
        typer.Option(
            "--ca-file", exists=True, dir_okay=False, help="Trust this CA (default: system store)"
        ),
    ] = None,
    local: Annotated[
        bool, typer.Option("--local", help="Also check secrets, files and the database here")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON")] = False,
    min_score: Annotated[
        int, typer.Option("--min-score", min=0, max=100, help="Exit 1 below this score")
    ] = 90,
) -> None:
    """Measure a running instance's security posture, each point with its evidence."""
    settings = load_settings()
    try:
        target = parse_target(url or settings.http.public_url, http_url=http_url, ca_file=ca_file)
    except TargetError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    inputs = _local(settings) if local else None
    try:
        report = measure(target, local=inputs)
    except UnreachableError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(report.as_json(), indent=2) if as_json else report.as_text())
    raise typer.Exit(0 if report.score >= min_score else 1)
