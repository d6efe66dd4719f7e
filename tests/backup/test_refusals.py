"""What ``faceless backup`` refuses, and that a refusal changes nothing.

A truncated, a bit-flipped and a foreign (other ``BACKUP_ENCRYPTION_KEY``) file are
refused by ``verify`` and by ``restore``, into a live database and into an empty one;
a non-empty database is only replaced with ``--force``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.backup.drill import Deployment, add_video, created_file, write_data


def _damaged(backup: Path, deployment: Deployment, tmp_path: Path) -> dict[str, Path]:
    raw = backup.read_bytes()
    truncated = tmp_path / "truncated.backup"
    truncated.write_bytes(raw[:-100])
    flipped = tmp_path / "flipped.backup"
    middle = len(raw) // 2
    flipped.write_bytes(raw[:middle] + bytes([raw[middle] ^ 0x01]) + raw[middle + 1 :])
    foreign = tmp_path / "foreign.backup"
    # Another deployment's key: a fresh development secrets directory generates one.
    made = deployment.cli(
        "backup", "create", "--output", str(foreign), SECRETS_DIR=str(tmp_path / "other")
    )
    created_file(made)
    return {"truncated": truncated, "flipped": flipped, "foreign": foreign}


@pytest.mark.slow
def test_damaged_or_foreign_backups_are_refused(deployment: Deployment, tmp_path: Path) -> None:
    write_data(deployment.settings)
    backup = created_file(deployment.cli("backup", "create"))
    damaged = _damaged(backup, deployment, tmp_path)
    live = deployment.state()
    reasons = {"truncated": "truncated", "flipped": "failed authentication", "foreign": "key id"}
    for name, path in damaged.items():
        verify = deployment.cli("backup", "verify", str(path))
        assert verify.returncode == 1, (name, verify.stdout)
        assert reasons[name] in verify.stderr, (name, verify.stderr)
        restore = deployment.cli("backup", "restore", "--force", str(path))
        assert restore.returncode == 1, (name, restore.stdout)
        assert reasons[name] in restore.stderr
    assert deployment.state() == live

    deployment.destroy()
    # Into an empty database too: nothing of a file cut short is ever applied.
    assert deployment.cli("backup", "restore", str(damaged["truncated"])).returncode == 1
    assert deployment.is_empty()


@pytest.mark.slow
def test_a_database_with_data_is_replaced_only_with_force(deployment: Deployment) -> None:
    write_data(deployment.settings)
    backup = created_file(deployment.cli("backup", "create"))
    backed_up = deployment.state()
    add_video(deployment.settings, "Written after the backup")
    changed = deployment.state()
    assert changed != backed_up

    refused = deployment.cli("backup", "restore", str(backup))
    assert refused.returncode == 1
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert deployment.state() == changed

    forced = deployment.cli("backup", "restore", "--force", str(backup))
    assert forced.returncode == 0, forced.stderr[-3000:]
    after = deployment.state()
    assert after.pop("audit_events") == backed_up.pop("audit_events") + 1
    assert after == backed_up
    assert deployment.cli("audit", "verify").returncode == 0
