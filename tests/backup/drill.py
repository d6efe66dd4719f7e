"""The restore drill's moving parts: a deployment, its data, the real ``faceless`` command.

One :class:`Deployment` is the app's settings plus what the operator's shell would have
(the environment of ``faceless backup``), for SQLite or for a hardened PostgreSQL
database (runtime login for the app, the migration owner for backups).
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from faceless.models import Role
from faceless.runtime.container import command_runtime
from faceless.settings import Settings
from tests.api.helpers import snapshot
from tests.conftest import PASSWORD, Accounts, cli_env, create_account, running_app

FACELESS = str(Path(sys.executable).with_name("faceless"))
SCRIPT = "A narrator explains tidal locking; the moon keeps one face to us."
EMAIL = "drill.editor@example.org"
USERNAME = "drill-editor"


@dataclass
class Deployment:
    settings: Settings
    destroy: Callable[[], None]
    is_empty: Callable[[], bool]

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in cli_env(self.settings).items() if v is not None}
        if self.settings.database.migration_url:
            env["DATABASE_MIGRATION_URL"] = self.settings.database.migration_url
        return {"PATH": os.environ["PATH"], "LC_ALL": "C.UTF-8", **env, **overrides}

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [FACELESS, *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )

    def state(self) -> dict[str, Any]:
        """Every table's row count and the stored (sealed) rows, read without side effects."""

        async def read() -> dict[str, Any]:
            async with command_runtime(self.settings) as runtime:
                return await snapshot(runtime)

        return asyncio.run(read())


async def _write(settings: Settings) -> dict[str, Any]:
    async with running_app(settings) as (services, http):
        accounts = Accounts(services, http)
        await create_account(services, "drill-admin", Role.ADMIN)
        admin = await accounts.login("drill-admin")
        made = await http.post(
            "/api/v1/users",
            json={"username": USERNAME, "password": PASSWORD, "role": "editor", "email": EMAIL},
            headers={"Authorization": f"Bearer {admin['access_token']}"},
        )
        assert made.status_code == 201, made.text
        editor = await accounts.login(USERNAME)
        video = await http.post(
            "/api/v1/videos",
            json={"title": "Tidal locking", "script": SCRIPT, "tags": ["space"]},
            headers={"Authorization": f"Bearer {editor['access_token']}"},
        )
        assert video.status_code == 201, video.text
        body: dict[str, Any] = video.json()
        return body


def write_data(settings: Settings) -> dict[str, Any]:
    """An admin, an editor with an e-mail, a video with a script: all through the API."""
    return asyncio.run(_write(settings))


async def _add_video(settings: Settings, title: str) -> None:
    async with running_app(settings) as (services, http):
        editor = await Accounts(services, http).login(USERNAME)
        made = await http.post(
            "/api/v1/videos",
            json={"title": title},
            headers={"Authorization": f"Bearer {editor['access_token']}"},
        )
        assert made.status_code == 201, made.text


def add_video(settings: Settings, title: str) -> None:
    asyncio.run(_add_video(settings, title))


async def _read(settings: Settings, video_id: str) -> tuple[dict[str, Any], list[Any]]:
    async with running_app(settings) as (services, http):
        accounts = Accounts(services, http)
        editor = await accounts.login(USERNAME)  # the password hash came back too
        video = await http.get(
            f"/api/v1/videos/{video_id}",
            headers={"Authorization": f"Bearer {editor['access_token']}"},
        )
        assert video.status_code == 200, video.text
        admin = await accounts.login("drill-admin")
        users = await http.get(
            "/api/v1/users", headers={"Authorization": f"Bearer {admin['access_token']}"}
        )
        assert users.status_code == 200, users.text
        return video.json(), users.json()["items"]


def read_back(settings: Settings, video_id: str) -> tuple[dict[str, Any], list[Any]]:
    """Sign in as both users, read the video (script) and the users (e-mail) over HTTP."""
    return asyncio.run(_read(settings, video_id))


def created_file(result: subprocess.CompletedProcess[str]) -> Path:
    assert result.returncode == 0, result.stderr[-3000:]
    first = result.stdout.splitlines()[0]
    assert first.startswith("backup written to "), result.stdout
    return Path(first.removeprefix("backup written to ").rsplit(" (", 1)[0])
