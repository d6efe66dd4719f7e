"""Seeding known plaintext through the real code paths, and reading what got stored."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
import orjson
from sqlalchemy import select, text

from faceless.db.base import Base, utcnow
from faceless.db.engine import is_sqlite
from faceless.db.session import transaction
from faceless.models import Job, JobKind, JobStatus
from faceless.runtime.container import Runtime
from faceless.worker import repository as worker_repository
from tests.conftest import PASSWORD

ENCRYPTED = {"users": ("email",), "videos": ("script",), "jobs": ("result",)}


@dataclass
class Seeded:
    user_id: str
    video_ids: list[str]
    job_id: str
    email: str
    scripts: list[str]
    transcript: str

    @property
    def secrets(self) -> list[str]:
        """Plaintext that must never appear in the database."""
        return [self.email, self.email.split("@")[0], *self.scripts, self.transcript]


def transcript_json(words: str) -> str:
    segment = {"start": 0.0, "end": 1.5, "text": words}
    body = {
        "text": words,
        "language": "en",
        "duration_seconds": 1.5,
        "engine": "test",
        "segments": [segment],
    }
    return orjson.dumps(body).decode()


async def finished_transcription(services: Runtime, owner_id: uuid.UUID, result: str) -> str:
    """A succeeded job whose result the worker's Core UPDATE wrote."""
    job_id = uuid.uuid4()
    async with transaction(services.sessions) as session:
        session.add(
            Job(
                id=job_id,
                owner_id=owner_id,
                kind=JobKind.TRANSCRIBE,
                status=JobStatus.RUNNING,
                attempts=1,
            )
        )
        await session.flush()
        assert await worker_repository.mark_succeeded(
            session, job_id, 1, result=result, now=utcnow()
        )
    return str(job_id)


async def seed(
    services: Runtime, client: httpx.AsyncClient, admin: dict[str, str], tag: str = "a"
) -> Seeded:
    email = f"Private.Person.{tag}@Example.org"
    created = await client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": f"writer{tag}", "password": PASSWORD, "role": "editor", "email": email},
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    login = await client.post(
        "/api/v1/auth/login", json={"username": f"writer{tag}", "password": PASSWORD}
    )
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    scripts = [f"Confidential script {tag}{n} about a WOMBAT heist" for n in range(3)]
    video_ids = []
    for n, script in enumerate(scripts):
        video = await client.post(
            "/api/v1/videos", headers=auth, json={"title": f"video {n}", "script": script}
        )
        assert video.status_code == 201, video.text
        video_ids.append(video.json()["id"])
    words = f"secret narration {tag} of the PANGOLIN"
    job_id = await finished_transcription(services, uuid.UUID(user_id), transcript_json(words))
    return Seeded(user_id, video_ids, job_id, email.lower(), scripts, words)


async def assert_readable(
    client: httpx.AsyncClient, admin: dict[str, str], seeded: Seeded, tag: str = "a"
) -> None:
    """Everything seeded reads back as plaintext through the API."""
    login = await client.post(
        "/api/v1/auth/login", json={"username": f"writer{tag}", "password": PASSWORD}
    )
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for video_id, script in zip(seeded.video_ids, seeded.scripts, strict=True):
        video = await client.get(f"/api/v1/videos/{video_id}", headers=auth)
        assert video.status_code == 200, video.text
        assert video.json()["script"] == script
    result = await client.get(f"/api/v1/jobs/{seeded.job_id}/result?format=txt", headers=auth)
    assert result.status_code == 200, result.text
    assert seeded.transcript in result.text
    users = await client.get("/api/v1/users?limit=100", headers=admin)
    assert users.status_code == 200, users.text
    emails = {u["id"]: u["email"] for u in users.json()["items"]}
    assert emails[seeded.user_id] == seeded.email


async def stored_values(services: Runtime) -> dict[str, list[tuple[str, str | None]]]:
    """``table.column`` -> (row id, stored value)."""
    values: dict[str, list[tuple[str, str | None]]] = {}
    async with transaction(services.sessions) as session:
        for table, columns in ENCRYPTED.items():
            for column in columns:
                # Core on the bare table: no ORM events, so exactly what is stored.
                columns_of = Base.metadata.tables[table].c
                rows = await session.execute(select(columns_of.id, columns_of[column]))
                values[f"{table}.{column}"] = [(str(uuid.UUID(str(r[0]))), r[1]) for r in rows]
    return values


async def raw_database_bytes(services: Runtime) -> bytes:
    """The bytes the database keeps on disk for the encrypted tables (heap, TOAST, WAL)."""
    url = services.settings.database_url
    if is_sqlite(url):
        async with services.engine.connect() as conn:
            await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        path = Path(services.engine.url.database or "")
        chunks = [path.read_bytes()]
        wal = path.with_name(path.name + "-wal")
        if wal.exists():
            chunks.append(wal.read_bytes())
        return b"".join(chunks)
    chunks = []
    async with services.engine.connect() as conn:
        await conn.execute(text("CHECKPOINT"))
        query = text(
            "SELECT pg_relation_filepath(c.oid) FROM pg_class c"
            " WHERE c.relname = ANY(:names)"
            " OR c.oid IN (SELECT reltoastrelid FROM pg_class WHERE relname = ANY(:names))"
        )
        paths = (await conn.execute(query, {"names": list(ENCRYPTED)})).scalars().all()
        assert len(paths) >= len(ENCRYPTED)
        for path in paths:
            data = await conn.scalar(text("SELECT pg_read_binary_file(:p)"), {"p": path})
            chunks.append(bytes(data or b""))
    return b"".join(chunks)


def scan(haystack: bytes, needles: list[str]) -> list[str]:
    """The needles found (as UTF-8, any case), for a readable assertion message."""
    lowered = haystack.lower()
    return [n for n in needles if n.lower().encode() in lowered]
