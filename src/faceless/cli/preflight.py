"""Secrets checked before a long-running command starts: one message, every problem."""

from __future__ import annotations

import typer

from faceless.secrets import SecretsConfigError
from faceless.secrets.loading import load_secrets
from faceless.secrets.validation import SecretsInvalidError
from faceless.settings import Settings


def require_valid_secrets(settings: Settings) -> Settings:
    """The settings completed from the secret store; exit 2 naming each problem."""
    try:
        resolved, _manager, _events = load_secrets(settings)
    except (SecretsInvalidError, SecretsConfigError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    return resolved
