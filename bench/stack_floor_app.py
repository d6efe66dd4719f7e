"""The stack's floor: DESIGN.md's libraries for an API process, one use each, no application.

What an API process of the production shape cannot do without, in the smallest app that
uses it: FastAPI under uvicorn (uvloop, httptools), settings from pydantic-settings, an
ORM model read through SQLAlchemy's asyncio session on asyncpg, a Redis command through
redis-py's asyncio client, a PyJWT HS256 token, an AES-GCM envelope from cryptography, an
argon2 hash verified at start (as a sign-in does), and a prometheus-client counter.
Its idle RSS is the least an API process on this stack can idle at, whatever it serves;
``rss_floor_bench.py`` prints it beside ours and bare FastAPI's.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import jwt
import prometheus_client
import redis.asyncio as redis
from argon2 import PasswordHasher
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from fastapi import FastAPI
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class FloorSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FLOOR_")

    database_url: str
    redis_url: str


class Base(DeclarativeBase):
    pass


class Video(Base):
    __tablename__ = "floor_videos"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    script: Mapped[bytes]


settings = FloorSettings()  # type: ignore[call-arg]  # from the environment
engine = create_async_engine(settings.database_url, pool_size=10)
sessions = async_sessionmaker(engine, expire_on_commit=False)
cache = redis.Redis.from_url(settings.redis_url)
KEY = AESGCM.generate_key(bit_length=256)
SIGNING_KEY = os.urandom(32)
requests = prometheus_client.Counter("floor_requests", "Requests served")


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    hasher = PasswordHasher()
    hasher.verify(hasher.hash("correct horse battery staple"), "correct horse battery staple")
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    async with sessions.begin() as session:
        sealed = AESGCM(KEY).encrypt(b"\x00" * 12, b"a script", None)
        session.add_all(Video(title=f"video {n}", script=sealed) for n in range(20))
    yield
    await cache.aclose()
    await engine.dispose()


app = FastAPI(lifespan=lifespan)


@app.get("/floor", response_model=None)
async def floor() -> Any:
    token = jwt.encode({"sub": "reader"}, SIGNING_KEY, algorithm="HS256")
    claims = jwt.decode(token, SIGNING_KEY, algorithms=["HS256"])
    await cache.incr(f"floor:{claims['sub']}")
    async with sessions() as session:
        videos = (await session.scalars(select(Video).limit(20))).all()
    requests.inc()
    aead = AESGCM(KEY)
    return [
        {"id": v.id, "title": v.title, "script": aead.decrypt(b"\x00" * 12, v.script, None)}
        for v in videos
    ]


@app.get("/health", response_model=None)
async def health() -> Any:
    return {"status": "ok"}
