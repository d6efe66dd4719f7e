"""The restore drill, on SQLite and on PostgreSQL, through the real ``faceless`` command.

Data written through the API -> ``faceless backup create`` -> the database destroyed (the
file deleted; the PostgreSQL database dropped and set up again by the superuser script)
-> ``faceless backup restore`` -> the same stored rows, encrypted columns that open,
sign-ins that work and an audit chain that verifies against its re-anchored export.
"""

from __future__ import annotations

import stat

from tests.backup.drill import (
    EMAIL,
    SCRIPT,
    USERNAME,
    Deployment,
    created_file,
    read_back,
    write_data,
)


def test_restore_drill(deployment: Deployment) -> None:
    video = write_data(deployment.settings)
    before = deployment.state()

    created = deployment.cli("backup", "create")
    backup = created_file(created)
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    raw = backup.read_bytes()
    for plaintext in (SCRIPT, EMAIL, USERNAME, "Tidal locking", "alembic_version"):
        assert plaintext.encode() not in raw, plaintext
    assert b"SQLite format 3" not in raw and b"PGDMP" not in raw
    verified = deployment.cli("backup", "verify", str(backup))
    assert verified.returncode == 0, verified.stderr
    assert "backup intact" in verified.stdout

    deployment.destroy()
    restored = deployment.cli("backup", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr[-3000:]
    assert "audit head export re-anchored" in restored.stdout

    after = deployment.state()
    # Exactly one more audit entry, the restore itself; everything else as backed up.
    assert after.pop("audit_events") == before.pop("audit_events") + 1
    assert after == before
    read_video, users = read_back(deployment.settings, video["id"])
    assert read_video["script"] == SCRIPT
    assert {user["username"]: user["email"] for user in users}[USERNAME] == EMAIL
    audit = deployment.cli("audit", "verify")
    assert audit.returncode == 0, audit.stderr[-2000:]
    assert "audit chain intact" in audit.stdout
