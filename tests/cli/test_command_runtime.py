"""A CLI command closes its runtime as a server does, before ``asyncio.run`` ends.

The commands used to dispose of the engine alone. The audit sequencer, which chains a
command's events after its commit, was then still running when ``asyncio.run`` cancelled
what was left: SQLAlchemy's pool logged the cancelled connection reset as an error in the
operator's terminal, and a test running the command in-process left the connection to the
garbage collector (a ``ResourceWarning`` in whichever later test collected it).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from faceless.db.session import transaction
from faceless.models import AuditInbox, Role
from faceless.runtime.container import command_runtime
from faceless.settings import Settings
from faceless.users.schemas import UserCreate
from faceless.users.service import create_user
from tests.conftest import cli_env

FACELESS = str(Path(sys.executable).with_name("faceless"))
LONG_ENOUGH = "a long enough password 1"


def waiting_in_the_inbox(settings: Settings) -> int:
    async def count() -> int:
        async with command_runtime(settings) as built, built.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(AuditInbox)))

    return asyncio.run(count())


def test_a_command_runtime_leaves_nothing_running_when_it_closes(settings: Settings) -> None:
    async def command() -> tuple[int, int]:
        data = UserCreate(username="operator", password=LONG_ENOUGH, role=Role.VIEWER)
        async with command_runtime(settings) as runtime, transaction(runtime.sessions) as session:
            await create_user(session, runtime.passwords, data=data, actor=None, ctx=None)
        still_running = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        return len(still_running), runtime.engine.pool.checkedout()

    # The commit woke the sequencer; closing waited for it instead of leaving it to be
    # cancelled, and every connection is back.
    assert asyncio.run(command()) == (0, 0)
    assert waiting_in_the_inbox(settings) == 0


def test_users_create_prints_no_error(settings: Settings) -> None:
    env = {k: v for k, v in {**os.environ, **cli_env(settings)}.items() if v is not None}
    for n in range(3):
        done = subprocess.run(
            [FACELESS, "users", "create", f"operator-{n}", "--role", "viewer"],
            input=f"a long enough password number {n}\n",
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        errors = [line for line in done.stderr.splitlines() if '"level": "error"' in line]
        assert not errors, errors
    assert waiting_in_the_inbox(settings) == 0
