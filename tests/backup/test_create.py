"""``faceless backup create`` around the dump: where files go, retention, the state file,
the key it needs, and how PostgreSQL credentials reach the tools."""

from __future__ import annotations

import os
import secrets
import stat
import subprocess
from pathlib import Path

import pytest

from faceless.backup.errors import BackupError
from faceless.backup.postgres import connect_to
from faceless.backup.service import NAME_PATTERN, create_backup
from faceless.backup.state import last_success
from faceless.crypto.keys import generate_keyring_value, parse_keyring
from faceless.settings import BackupSettings
from tests.backup.drill import Deployment, created_file
from tests.fixtures import PostgresCluster

KEYS = parse_keyring("BACKUP_ENCRYPTION_KEY", generate_keyring_value("bk"))


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
async def test_retention_keeps_the_newest_and_records_the_last_success(
    deployment: Deployment,
) -> None:
    settings = deployment.settings.model_copy(update={"backup": BackupSettings(keep=2)})
    made = [await create_backup(settings, KEYS) for _ in range(3)]
    kept = sorted(path.name for path in settings.backup_dir.iterdir())
    assert kept == sorted(created.path.name for created in made[1:])
    assert all(NAME_PATTERN.match(name) for name in kept)
    assert made[2].pruned == [made[0].path]
    assert stat.S_IMODE(settings.backup_dir.stat().st_mode) == 0o700
    state = settings.backup_state_file
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    recorded = last_success(state)
    assert recorded is not None
    assert recorded.isoformat() >= made[2].manifest.created_at


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
async def test_output_never_replaces_an_existing_file(
    deployment: Deployment, tmp_path: Path
) -> None:
    existing = tmp_path / "keep-me.backup"
    existing.write_bytes(b"an operator's file")
    with pytest.raises(BackupError, match="already exists"):
        await create_backup(deployment.settings, KEYS, output=existing)
    assert existing.read_bytes() == b"an operator's file"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".keep-me")] == []
    assert not deployment.settings.backup_state_file.exists()


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
def test_without_a_backup_key_the_command_exits_2(deployment: Deployment) -> None:
    names = ("SECRET_KEY", "DATA_ENCRYPTION_KEY", "API_TOKEN_HMAC_KEY")
    keys = {name: generate_keyring_value() for name in names}
    result = deployment.cli("backup", "create", SECRETS_BACKENDS="env", **keys)
    assert result.returncode == 2
    assert "BACKUP_ENCRYPTION_KEY is not set" in result.stderr
    assert not deployment.settings.backup_dir.exists()


@pytest.mark.parametrize("deployment", ["sqlite"], indirect=True)
def test_the_backup_file_is_private_and_named_by_the_command(deployment: Deployment) -> None:
    backup = created_file(deployment.cli("backup", "create"))
    assert backup.parent == deployment.settings.backup_dir
    assert NAME_PATTERN.match(backup.name)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


@pytest.mark.postgres
def test_a_password_reaches_libpq_through_a_private_passfile_only(
    owner_cluster: PostgresCluster,
) -> None:
    # The characters a passfile must escape, and a space.
    awkward = f"odd:{secrets.token_hex(6)}\\with spaces"
    owner_cluster.create_role("backup_probe", awkward)
    url = owner_cluster.dsn("postgres", user="backup_probe", password=awkward)
    with connect_to(url) as target:
        passfile = Path(target.env["PGPASSFILE"])
        assert stat.S_IMODE(passfile.stat().st_mode) == 0o600
        assert all(awkward not in value for value in target.env.values())
        result = subprocess.run(
            ["psql", "--no-psqlrc", "--tuples-only", "--command=SELECT current_user"],
            env=target.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "backup_probe"
    assert not passfile.exists()
    assert os.environ.get("PGPASSWORD") is None
