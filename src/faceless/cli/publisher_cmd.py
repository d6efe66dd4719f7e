"""``faceless publisher set-credentials youtube --account NAME``: the JSON comes from stdin.

The document holds OAuth secrets, so it is read from standard input (never argv, where
``ps`` and shell history would see it), stored encrypted, and never printed: the
command answers with the provider and account only.
"""

from __future__ import annotations

import asyncio
import sys
from enum import StrEnum
from typing import Annotated

import typer

from faceless.cli.preflight import require_valid_secrets
from faceless.db.session import transaction
from faceless.publishing.check import CheckResult, check_publisher
from faceless.publishing.credentials import CredentialsError, parse_credentials, set_credentials
from faceless.runtime.container import command_runtime
from faceless.settings import Settings, load_settings

app = typer.Typer(no_args_is_help=True, help="Publishing accounts and their credentials.")

MAX_DOCUMENT = 64 * 1024


class Provider(StrEnum):
    YOUTUBE = "youtube"


async def _store(settings: Settings, provider: str, account: str, values: dict[str, str]) -> None:
    async with command_runtime(settings) as runtime, transaction(runtime.sessions) as session:
        await set_credentials(
            session, provider=provider, account=account, values=values, actor_id=None, ctx=None
        )


def _read_document() -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Credentials (JSON, one line): ")
    return sys.stdin.read(MAX_DOCUMENT + 1)


@app.command("set-credentials")
def set_credentials_cmd(
    provider: Annotated[Provider, typer.Argument(help="The publisher: youtube")],
    account: Annotated[str, typer.Option(help="The channel or account these belong to")],
) -> None:
    """Store a publisher's OAuth credentials, encrypted, from a JSON document on stdin.

    For youtube: {"client_id": ..., "client_secret": ..., "refresh_token": ...}.
    They take precedence over the YOUTUBE_* secrets; the most recently set account is used.
    """
    document = _read_document()
    try:
        if len(document) > MAX_DOCUMENT:
            raise CredentialsError(f"the document is longer than {MAX_DOCUMENT} bytes")
        values = parse_credentials(provider.value, document)
        settings = require_valid_secrets(load_settings())
        asyncio.run(_store(settings, provider.value, account, values))
    except CredentialsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"stored {provider.value} credentials for account {account.strip()}")


async def _check(settings: Settings) -> CheckResult:
    async with command_runtime(settings) as runtime:
        return await check_publisher(settings, runtime.sessions, runtime.publisher)


@app.command("check")
def check_cmd() -> None:
    """Ask Google whether the active YouTube credentials work (a token refresh and one
    channels.list call). Exit 0 usable, 1 refused, 2 unreachable. Never prints a value."""
    settings = require_valid_secrets(load_settings())
    result = asyncio.run(_check(settings))
    typer.echo(result.message, err=result.outcome != 0)
    raise typer.Exit(int(result.outcome))
