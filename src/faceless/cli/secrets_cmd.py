"""``faceless secrets``: validate, reload and rotate secrets. Never prints a value."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Annotated

import typer

from faceless.crypto.keys import KeyringError, generate_keyring_value, parse_keyring
from faceless.fileio import atomic_write
from faceless.secrets import SecretManager, SecretsConfigError, build_secret_manager
from faceless.secrets.reload import pid_file, read_pid
from faceless.secrets.validation import KEYRING_SECRETS, OPTIONAL_SECRETS, check_secrets
from faceless.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, help="Validate, reload and rotate secrets.")

ROTATE_JWT_STEPS = """\
Rotating the JWT signing key (SECRET_KEY) without logging anyone out:
  1. Put a new key FIRST in SECRET_KEY, keeping the old one after it:
       SECRET_KEY=<new-kid>:<new key>,<old-kid>:<old key>
     (a key is >= 256 bits, base64 or hex: python -c 'import secrets;
     print(secrets.token_urlsafe(32))'; a kid is [A-Za-z0-9._-]{1,32}, e.g. 2026-11).
     With the files backend, `faceless secrets rotate-jwt --write` does this step.
  2. Reload every API process: `faceless secrets reload` (SIGHUP) or a restart.
     New access tokens carry the new kid; old ones still verify with the old key.
  3. Retire the old key: remove it from SECRET_KEY (`faceless secrets rotate-jwt
     --retire <old-kid>` with the files backend) and reload again. Any access token
     signed with it is refused from then on. Refresh tokens are stored as HMACs under
     the same keyring and re-hashed under the current key at each use, so waiting
     ACCESS_TOKEN_SECONDS (900 s) keeps every access token valid to its expiry, and
     waiting REFRESH_TOKEN_SECONDS (14 days) also keeps idle sign-ins; retiring sooner
     signs those out (after a leak of the old key, retire at once)."""


def _manager(settings: Settings) -> SecretManager:
    try:
        return build_secret_manager(settings)
    except SecretsConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None


@app.command("check")
def check() -> None:
    """Validate every secret; name each problem (never a value) and exit 1 if any."""
    settings = load_settings()
    manager = _manager(settings)
    problems = check_secrets(settings, manager)
    for name in (*KEYRING_SECRETS, "DATABASE_URL", "REDIS_URL", *OPTIONAL_SECRETS):
        if any(problem.name == name for problem in problems):
            continue
        secret = next((s for s in manager.loaded() if s.name == name), None)
        if secret is not None:
            version = f", version {secret.version}" if secret.version else ""
            typer.echo(f"ok    {name} ({secret.backend}{version})")
    for problem in problems:
        typer.echo(f"FAIL  {problem}")
    if problems:
        typer.echo(f"{len(problems)} problem(s) (FACELESS_ENV={settings.env.value})", err=True)
        raise typer.Exit(1)
    typer.echo(f"secrets valid (FACELESS_ENV={settings.env.value})")


@app.command("reload")
def reload(
    pid: Annotated[
        int | None, typer.Option(help="Process to signal (default: the pid file)")
    ] = None,
) -> None:
    """Validate the secrets as they are now, then send SIGHUP to the running server."""
    settings = load_settings()
    problems = check_secrets(settings, _manager(settings))
    if problems:
        for problem in problems:
            typer.echo(f"FAIL  {problem}", err=True)
        typer.echo("not reloading: the server keeps its current secrets", err=True)
        raise typer.Exit(1)
    path = pid_file(settings.paths.var_dir)
    target = pid if pid is not None else read_pid(path)
    if target is None:
        typer.echo(f"error: no server pid file at {path}; pass --pid", err=True)
        raise typer.Exit(2)
    try:
        os.kill(target, signal.SIGHUP)
    except ProcessLookupError:
        typer.echo(f"error: no process {target} (stale pid file {path}?)", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"sent SIGHUP to {target}: it reloads its secrets")


@app.command("rotate-jwt")
def rotate_jwt(
    write: Annotated[
        bool, typer.Option("--write", help="Prepend a new key in SECRETS_DIR/SECRET_KEY")
    ] = False,
    retire: Annotated[
        str | None, typer.Option(help="Remove this key id from SECRETS_DIR/SECRET_KEY")
    ] = None,
) -> None:
    """Show the JWT key rotation steps; with the files backend, perform one of them."""
    if not write and retire is None:
        typer.echo(ROTATE_JWT_STEPS)
        return
    settings = load_settings()
    path = settings.secrets_dir / "SECRET_KEY"
    entries = _read_ring(path)
    if write:
        entries.insert(0, generate_keyring_value(prefix="jwt"))
        message = f"new current key {_kid(entries[0])}; keys now: {_kids(entries)}"
    else:
        remaining = [entry for entry in entries if _kid(entry) != retire]
        if len(remaining) == len(entries):
            typer.echo(f"error: no key {retire!r} in {path} (keys: {_kids(entries)})", err=True)
            raise typer.Exit(1)
        if _kid(entries[0]) == retire:
            typer.echo(f"error: {retire!r} is the current key; add a new one first", err=True)
            raise typer.Exit(1)
        entries = remaining
        message = f"retired {retire}; keys now: {_kids(entries)}"
    _write_ring(path, entries)
    typer.echo(message)
    typer.echo("now reload every API process: faceless secrets reload")


def _read_ring(path: Path) -> list[str]:
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        typer.echo(f"error: {path} does not exist (is SECRET_KEY in another backend?)", err=True)
        raise typer.Exit(2) from None
    try:
        ring = parse_keyring("SECRET_KEY", value)
    except KeyringError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    entries = [entry.strip() for entry in value.split(",") if entry.strip()]
    if any(":" not in entry for entry in entries):
        # A lone key has an implicit id; write it out so it can be named and retired.
        entries = [
            entry if ":" in entry else f"{kid}:{entry}"
            for entry, kid in zip(entries, ring.keys, strict=True)
        ]
    return entries


def _write_ring(path: Path, entries: list[str]) -> None:
    atomic_write(path, (",".join(entries) + "\n").encode())


def _kid(entry: str) -> str:
    return entry.partition(":")[0]


def _kids(entries: list[str]) -> str:
    return ", ".join(_kid(entry) for entry in entries)
