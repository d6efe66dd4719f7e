"""``faceless users create NAME --role ROLE``: the password comes from standard input."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from pydantic import ValidationError

from faceless.db.session import transaction
from faceless.errors import ProblemError, ValidationProblemError
from faceless.models import Role
from faceless.runtime.container import command_runtime
from faceless.settings import Settings, load_settings
from faceless.users.schemas import UserCreate
from faceless.users.service import create_user

app = typer.Typer(no_args_is_help=True, help="Manage user accounts.")


async def _create(settings: Settings, data: UserCreate) -> str:
    async with command_runtime(settings) as runtime:
        async with transaction(runtime.sessions) as session:
            user = await create_user(session, runtime.passwords, data=data, actor=None, ctx=None)
        return str(user.id)


@app.command("create")
def create(
    username: str,
    role: Annotated[Role, typer.Option(help="admin, editor or viewer")],
    email: Annotated[str | None, typer.Option(help="Optional e-mail address")] = None,
) -> None:
    """Create a user. The password is read from standard input, never from argv."""
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        data = UserCreate(username=username, password=password, role=role, email=email)
        user_id = asyncio.run(_create(load_settings(), data))
    except ValidationError as exc:
        raise typer.BadParameter("; ".join(str(e["msg"]) for e in exc.errors())) from None
    except ValidationProblemError as exc:
        typer.echo("error: " + "; ".join(str(e["msg"]) for e in exc.errors), err=True)
        raise typer.Exit(2) from None
    except ProblemError as exc:
        typer.echo(f"error: {exc.detail}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"created user {username.lower()} ({role}) id={user_id}")
