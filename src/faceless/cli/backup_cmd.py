"""``faceless backup create|verify|restore``: encrypted, verified backups of the database."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from faceless.backup.archive import verify_file
from faceless.backup.errors import BackupError
from faceless.backup.restore import reanchor_audit, restore_backup
from faceless.backup.service import create_backup
from faceless.crypto.keys import Keyring, KeyringError, parse_keyring
from faceless.db.audit.head_export import ExportResult, HeadSigner, Outcome
from faceless.runtime.container import command_runtime
from faceless.secrets import SecretsConfigError
from faceless.secrets.loading import load_secrets
from faceless.secrets.validation import SecretsInvalidError
from faceless.settings import Settings, load_settings

# The secret that encrypts backups (a keyring: current key first, older ones still open).
_KEYRING = "BACKUP_ENCRYPTION_KEY"

app = typer.Typer(no_args_is_help=True, help="Encrypted, verified backups of the database.")


def _prepared() -> tuple[Settings, Keyring]:
    """The settings and the backup keyring; exit 2 naming what is missing or wrong."""
    try:
        settings, manager, _events = load_secrets(load_settings())
        secret = manager.get(_KEYRING)
        if secret is None:
            raise KeyringError(f"{_KEYRING} is not set in any configured backend")
        return settings, parse_keyring(_KEYRING, secret.reveal())
    except (SecretsInvalidError, SecretsConfigError, KeyringError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


def _refuse(exc: BackupError) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@app.command("create")
def create(
    output: Annotated[
        Path | None,
        typer.Option(help="Write here instead of BACKUP_DIR (never over an existing file)"),
    ] = None,
) -> None:
    """Back up the database (through DATABASE_MIGRATION_URL) into an encrypted file."""
    settings, keyring = _prepared()
    try:
        created = asyncio.run(create_backup(settings, keyring, output=output))
    except BackupError as exc:
        raise _refuse(exc) from None
    typer.echo(f"backup written to {created.path} ({created.file_bytes} bytes)")
    for line in created.manifest.lines():
        typer.echo(f"  {line}")
    for path in created.pruned:
        typer.echo(f"removed old backup {path} (BACKUP_KEEP={settings.backup.keep})")


@app.command("verify")
def verify(file: Annotated[Path, typer.Argument(help="The backup file")]) -> None:
    """Authenticate every byte of a backup; exit 1 when it is damaged or foreign."""
    _settings, keyring = _prepared()
    try:
        manifest = verify_file(file, keyring)
    except BackupError as exc:
        raise _refuse(exc) from None
    typer.echo(f"backup intact: {file}")
    for line in manifest.lines():
        typer.echo(f"  {line}")


async def _reanchor(settings: Settings, backup: Path) -> ExportResult:
    async with command_runtime(settings) as runtime:
        return await reanchor_audit(
            sessions=runtime.sessions,
            read_sessions=runtime.read_sessions,
            signer=HeadSigner(runtime.data_protection.cipher.keyring),
            head_file=settings.audit_head_file,
            backup=backup,
        )


@app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="The backup file")],
    force: Annotated[
        bool, typer.Option("--force", help="Replace a database that is not empty")
    ] = False,
) -> None:
    """Restore a verified backup into the configured database (stop the service first)."""
    settings, keyring = _prepared()
    try:
        manifest = asyncio.run(restore_backup(settings, keyring, file, force=force))
    except BackupError as exc:
        raise _refuse(exc) from None
    typer.echo(f"restored {file}: audit head at entry {manifest.audit_head.last_id}")
    result = asyncio.run(_reanchor(settings, file))
    if result.outcome is not Outcome.WRITTEN or result.export is None:
        typer.echo(f"error: the audit head export was not rewritten ({result.reason})", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"audit head export re-anchored at entry {result.export.last_id}: "
        f"{settings.audit_head_file}"
    )
    if manifest.schema_revision:
        typer.echo(f"schema revision {manifest.schema_revision}; run `faceless migrate` if older")
