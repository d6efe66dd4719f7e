"""Files at rest: everything the service writes under ``var/`` is owner-only.

Files are 0600 and folders 0700; only the public certificates (``ca.pem``,
``cert.pem``) may be readable by others. SQLite made its database (and so its
``-wal`` and ``-shm`` files, which copy the database's mode) 0644 less the umask.
"""

from __future__ import annotations

import os
import ssl
import stat
import sys
from pathlib import Path

import httpx
from sqlalchemy import text

from faceless.db.engine import create_engine
from tests.fixtures import ManagedProcess, free_port
from tests.security.tls.conftest import serve_env

FACELESS = str(Path(sys.executable).with_name("faceless"))
PUBLIC_CERTIFICATES = {"ca.pem", "cert.pem"}


def modes(root: Path) -> dict[str, int]:
    """Permission bits of ``root`` and everything under it, by relative path."""
    found = {".": stat.S_IMODE(root.stat().st_mode)}
    for folder, folders, files in os.walk(root):
        for name in [*folders, *files]:
            path = Path(folder) / name
            found[str(path.relative_to(root))] = stat.S_IMODE(path.lstat().st_mode)
    return found


def not_private(found: dict[str, int]) -> dict[str, str]:
    wrong = {}
    for name, mode in found.items():
        expected = 0o644 if Path(name).name in PUBLIC_CERTIFICATES else None
        if expected is not None:
            if mode & 0o022:  # a public certificate still belongs to its owner alone
                wrong[name] = oct(mode)
        elif mode not in (0o600, 0o700):
            wrong[name] = oct(mode)
    return wrong


def test_a_serving_instance_writes_nothing_others_can_read(
    tmp_path: Path, speech_wav: Path
) -> None:
    var_dir = tmp_path / "var"
    port = free_port()
    env = serve_env(var_dir, var_dir / "faceless.db", f"https://localhost:{port}")
    process = ManagedProcess(
        [FACELESS, "serve", "--port", str(port), "--redirect-port", "0"],
        env=env,
        name="serve-modes",
        log_dir=tmp_path,
    )
    with process:
        match = process.wait_for_line(r"Initial admin password \(shown once\): (\S+)", timeout=90)
        process.wait_for_port(port, timeout=60)
        verify = ssl.create_default_context(cafile=var_dir / "tls" / "ca.pem")
        with httpx.Client(base_url=f"https://localhost:{port}", verify=verify) as http:
            login = http.post(
                "/api/v1/auth/login", json={"username": "admin", "password": match.group(1)}
            )
            auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
            video = http.post("/api/v1/videos", headers=auth, json={"title": "At rest"})
            assert video.status_code == 201, video.text
            with speech_wav.open("rb") as audio:
                upload = http.post(
                    "/api/v1/transcribe", headers=auth, files={"file": ("a.wav", audio)}
                )
            assert upload.status_code == 202, upload.text
            running = modes(var_dir)
    stopped = modes(var_dir)
    # The write-ahead log and shared memory exist while the server runs.
    assert {"faceless.db", "faceless.db-wal", "faceless.db-shm"} <= running.keys()
    assert {"tls/ca.pem", "tls/cert.pem", "tls/key.pem", "uploads"} <= running.keys()
    assert not_private(running) == {}
    assert not_private(stopped) == {}


async def test_sqlite_files_are_created_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "new.db"
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (x INTEGER)"))
            await connection.execute(text("INSERT INTO t VALUES (1)"))
            # While a connection is open, WAL mode keeps its side files next to the database.
            found = modes(tmp_path)
    finally:
        await engine.dispose()
    assert found["new.db"] == 0o600
    assert found["new.db-wal"] == 0o600 and found["new.db-shm"] == 0o600


async def test_an_existing_readable_database_is_made_owner_only(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    for suffix in ("", "-wal", "-shm"):
        path = tmp_path / f"old.db{suffix}"
        path.write_bytes(b"")
        path.chmod(0o644)
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            found = modes(tmp_path)
    finally:
        await engine.dispose()
    assert {name: found[name] for name in ("old.db", "old.db-wal", "old.db-shm")} == {
        "old.db": 0o600,
        "old.db-wal": 0o600,
        "old.db-shm": 0o600,
    }
