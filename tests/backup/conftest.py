"""A deployment per test: SQLite, or PostgreSQL set up the production way.

PostgreSQL runs with ``deploy/postgres`` (pgaudit, the init script's roles, migrations
as the owner), because a backup through the owner role must cope with what that set-up
creates (superuser-owned extensions, grants to the runtime group).
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from faceless.settings import DatabaseSettings
from tests.backup.drill import Deployment
from tests.conftest import make_settings
from tests.db.hardened import hardened_cluster, hardened_database, run_init_script
from tests.fixtures import PostgresCluster


@pytest.fixture(scope="session")
def owner_cluster() -> Iterator[PostgresCluster]:
    with hardened_cluster() as cluster:
        yield cluster


def _sqlite(tmp_path: Path, template: Path) -> Deployment:
    database = tmp_path / "var" / "faceless.db"
    database.parent.mkdir(parents=True)
    shutil.copyfile(template, database)
    settings = make_settings(tmp_path, f"sqlite+aiosqlite:///{database}")

    def destroy() -> None:
        for suffix in ("", "-wal", "-shm"):
            database.with_name(database.name + suffix).unlink(missing_ok=True)

    return Deployment(settings, destroy, lambda: not database.exists())


def _postgres(tmp_path: Path, cluster: PostgresCluster, name: str) -> Deployment:
    hardened = hardened_database(cluster, name)
    settings = make_settings(tmp_path, hardened.app_url)
    settings = settings.model_copy(
        update={
            "database": DatabaseSettings(url=hardened.app_url, migration_url=hardened.owner_url)
        }
    )

    def destroy() -> None:
        # As a lost server comes back: an empty database, set up by the superuser's script.
        cluster.drop_database(name)
        cluster.create_database(name)
        run_init_script(cluster, name)

    def is_empty() -> bool:
        tables = cluster.psql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'", name)
        return int(tables.strip().splitlines()[-1]) == 0

    return Deployment(settings, destroy, is_empty)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Deployment]:
    if request.param == "sqlite":
        yield _sqlite(tmp_path, request.getfixturevalue("sqlite_template"))
        return
    cluster: PostgresCluster = request.getfixturevalue("owner_cluster")
    name = "b_" + uuid.uuid4().hex[:10]
    yield _postgres(tmp_path, cluster, name)
    cluster.drop_database(name)
