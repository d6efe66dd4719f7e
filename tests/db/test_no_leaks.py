"""A stolen dump or a leaked SQL log reveals no plaintext and no key, even with the
noisiest logging PostgreSQL and pgaudit can do.

1,000 rows with known plaintext go in through the API as the runtime role (users'
e-mails, videos' scripts, transcription results; a few publisher credentials and a TOTP
enrollment with its recovery codes beside them), every statement and every bound parameter logged; then ``pg_dump`` and the
complete server log are searched for the plaintext and for every key of both keyrings
(raw, hex, base64) and the subkeys derived from them.
"""

from __future__ import annotations

import asyncio
import base64
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest

from faceless.crypto import aead
from faceless.crypto.aead import derive_subkey
from faceless.db.session import transaction
from faceless.models import Role
from faceless.publishing.credentials import get_credentials, set_credentials
from faceless.runtime.container import Runtime
from tests.auth.mfa.support import enroll, install_clock, mfa_token, second_step
from tests.conftest import PASSWORD, Accounts, create_account, make_settings, running_app
from tests.crypto.support import finished_transcription, transcript_json
from tests.db.hardened import APP, hardened_cluster, hardened_database

pytestmark = pytest.mark.postgres

MARKER = "QuokkaMarker"  # in every plaintext, so one scan finds any of them
NOISY = {
    "log_statement": "all",
    "pgaudit.log": "all",
    "pgaudit.log_parameter": "on",
    "pgaudit.log_catalog": "on",
    "pgaudit.log_relation": "on",
    "pgaudit.log_rows": "on",
}
USERS, JOBS = 10, 10
VIDEOS = 1000 - USERS - JOBS


def key_forms(key: bytes) -> list[bytes]:
    """Every way a key could be spelled in a dump or a log."""
    b64 = base64.b64encode(key)
    url = base64.urlsafe_b64encode(key)
    return [
        key,
        key.hex().encode(),
        key.hex().upper().encode(),
        b64,
        b64.rstrip(b"="),
        url,
        url.rstrip(b"="),
    ]


def key_material(services: Runtime) -> dict[str, list[bytes]]:
    keyrings = {
        "SECRET_KEY": services.signing_keys,
        "DATA_ENCRYPTION_KEY": services.data_protection.cipher.keyring,
    }
    material: dict[str, list[bytes]] = {}
    for name, keyring in keyrings.items():
        for kid, key in keyring.keys.items():
            material[f"{name}/{kid}"] = key_forms(key)
            aead_key = derive_subkey(key, aead._AEAD_PURPOSE)
            material[f"{name}/{kid}/aead"] = key_forms(aead_key)
    index = services.data_protection.blind_index("users", "email")
    for kid, key in index._keys.items():
        material[f"blind-index/{kid}"] = key_forms(key)
    return material


async def write_rows(services: Runtime, client: httpx.AsyncClient, tag: str) -> int:
    await create_account(services, f"leakadmin{tag}", Role.ADMIN)
    login = await client.post(
        "/api/v1/auth/login", json={"username": f"leakadmin{tag}", "password": PASSWORD}
    )
    admin = {"Authorization": f"Bearer {login.json()['access_token']}"}
    written = 0
    user_ids = []
    for n in range(USERS):
        response = await client.post(
            "/api/v1/users",
            headers=admin,
            json={
                "username": f"leak{tag}{n}",
                "password": PASSWORD,
                "role": "editor",
                "email": f"{MARKER}.person{n}@example.org",
            },
        )
        assert response.status_code == 201, response.text
        user_ids.append(uuid.UUID(response.json()["id"]))
        written += 1

    async def video(n: int) -> str:
        body = {"title": f"video {n}", "script": f"{MARKER} confidential script number {n}"}
        response = await client.post("/api/v1/videos", headers=admin, json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    video_ids: list[str] = []
    for start in range(0, VIDEOS, 8):  # under half the pool: a request may hold two
        video_ids += await asyncio.gather(*(video(n) for n in range(start, min(start + 8, VIDEOS))))
    written += len(video_ids)
    for n, video_id in enumerate(video_ids[:20]):  # UPDATEs, too
        patch = {"script": f"{MARKER} rewritten script number {n}"}
        response = await client.patch(f"/api/v1/videos/{video_id}", headers=admin, json=patch)
        assert response.status_code == 200, response.text
    for n in range(JOBS):
        result = transcript_json(f"{MARKER} spoken words number {n}")
        await finished_transcription(services, user_ids[n], result)
        written += 1
    # Read back through the API: decrypted for the client, nowhere else.
    listed = await client.get("/api/v1/videos?limit=100", headers=admin)
    assert MARKER in listed.text
    return written


async def write_credentials(services: Runtime) -> None:
    for n in range(3):
        values = {
            "client_id": f"{MARKER}-client-id-{n}",
            "client_secret": f"{MARKER}-client-secret-{n}",
            "refresh_token": f"{MARKER}-refresh-token-{n}",
        }
        async with transaction(services.sessions) as session:
            await set_credentials(
                session,
                provider="youtube",
                account=f"channel{n}",
                values=values,
                actor_id=None,
                ctx=None,
            )
    async with transaction(services.sessions) as session:
        found = await get_credentials(session, "youtube")
    assert found is not None and MARKER in found["client_secret"]


def wait_for_log_line(log: Path, needle: bytes, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while needle not in log.read_bytes():
        assert time.monotonic() < deadline, "the server log did not catch up"
        time.sleep(0.05)


async def test_dump_and_noisiest_logs_hold_no_plaintext_and_no_key(tmp_path: Path) -> None:
    with hardened_cluster(**NOISY) as pg:
        db = await asyncio.to_thread(hardened_database, pg, "leaks")
        # The database-level settings of the hardening would quieten pgaudit: drop them.
        pg.psql("ALTER DATABASE leaks RESET ALL;")
        async with running_app(make_settings(tmp_path, db.app_url)) as (services, client):
            assert await write_rows(services, client, "a") == 1000
            await write_credentials(services)
            # A TOTP secret and recovery codes, enrolled and used over the API.
            clock = install_clock(services)
            secret, recovery = await enroll(Accounts(services, client), "leaktotp", clock)
            used = await second_step(client, await mfa_token(client, "leaktotp"), recovery[0])
            assert used.status_code == 200, used.text
            one_time = [secret, *recovery, *(code.replace("-", "") for code in recovery)]
            material = key_material(services)
            kid = services.data_protection.cipher.current_kid

        dump = subprocess.run(
            [
                str(pg.bindir / "pg_dump"),
                "--format=plain",
                f"--host={pg.socket_dir}",
                f"--port={pg.port}",
                f"--username={pg.superuser}",
                "--dbname=leaks",
            ],
            env={"PGPASSWORD": pg.superuser_password, "LC_ALL": "C.UTF-8"},
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        # log_statement = all: once this is in the log, everything before it is, too.
        pg.psql("SELECT 'the end of the leak test';", "leaks")
        wait_for_log_line(pg.log_path(), b"the end of the leak test")
        log = pg.startup_log_path().read_bytes() + pg.log_path().read_bytes()

    # The noise was real: every statement with its parameters, by the runtime role...
    assert f"{APP}@leaks".encode() in log
    assert b"AUDIT: SESSION," in log and b",WRITE,INSERT,TABLE,public.videos," in log
    assert b"parameters: $1 = " in log
    assert b",WRITE,INSERT,TABLE,public.publisher_credentials," in log
    assert b",WRITE,UPDATE,TABLE,public.totp_credentials," in log
    assert log.count(f"v1:{kid}:".encode()) >= 1000  # ...so ciphertext, in the log
    assert dump.count(f"v1:{kid}:".encode()) >= 1000  # and in the dump
    for name, haystack in (("pg_dump", dump), ("server log", log)):
        lowered = haystack.lower()
        assert MARKER.lower().encode() not in lowered, f"plaintext in the {name}"
        assert MARKER.encode().hex().encode() not in lowered, f"hex plaintext in the {name}"
        leaked = [key for key, forms in material.items() if any(f in haystack for f in forms)]
        assert leaked == [], f"key material in the {name}"
        shown = [value for value in one_time if value.lower().encode() in lowered]
        assert shown == [], f"a TOTP secret or recovery code in the {name}"
