"""First-run set-up, in the API process before it serves: the var directory, the
embedded default's migrations (in a child) and the first admin.

It runs here rather than in ``faceless serve``'s own process because everything it
imports (the runtime, the database, the password hasher) the API process imports
anyway, while the command would import it only to replace its image right after: half
a second of every start (ADR 0033).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys

from faceless.db.engine import is_sqlite
from faceless.db.session import transaction
from faceless.fileio import private_dirs
from faceless.runtime.container import command_runtime
from faceless.security.passwords import PasswordHashing
from faceless.settings import Settings
from faceless.users.service import bootstrap_admin


async def _first_run(settings: Settings) -> str | None:
    async with command_runtime(settings) as runtime, transaction(runtime.sessions) as session:
        return await bootstrap_admin(session, PasswordHashing(1))


# Alembic, Mako and Pygments (about 12 MB) would stay resident in the API process for
# its whole life after one upgrade at start, so the upgrade runs in a child (issue 11).
_MIGRATE = """
import sys
from faceless.logging import configure_logging
from faceless.db.migrate import upgrade
configure_logging()
upgrade(sys.stdin.read())
"""


def migrate_in_child(url: str) -> None:
    """``faceless.db.migrate.upgrade(url)`` in a child Python; exit 1 if it fails."""
    argv = [sys.executable, "-c", _MIGRATE]
    # The URL goes through stdin, never argv (which other users can read).
    done = subprocess.run(argv, input=url, text=True, check=False)  # noqa: S603 - fixed argv
    if done.returncode != 0:
        raise SystemExit("error: the database migration failed (see above)")


def prepare(settings: Settings) -> None:
    """Embedded default: create var/, migrate SQLite, create the first admin."""
    private_dirs(settings.paths.var_dir)
    if is_sqlite(settings.database_url):
        migrate_in_child(settings.database_url)
    password = asyncio.run(_first_run(settings))
    if password:
        # Straight to stdout, never through logging: it is shown exactly once.
        print(f"Initial admin password (shown once): {password}", flush=True)
