"""The principal generation: bumped by one process, observed by every other one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from faceless.security.principal_generation import FileGeneration, RedisGeneration
from faceless.security.ratelimit.redis_storage import RedisStorage
from faceless.security.ratelimit.storage import Bucket, MemoryStorage
from tests.fixtures import RedisServer

BUCKETS = (Bucket("api:ip:127.0.0.1", 100, 60),)


async def test_a_file_bump_is_seen_by_another_reader_of_the_directory(tmp_path: Path) -> None:
    bumper, reader = FileGeneration(tmp_path), FileGeneration(tmp_path)
    before = reader.current()
    seen = {before}
    for _ in range(5):  # several bumps within one clock tick still differ
        await bumper.bump()
        seen.add(reader.current())
    assert len(seen) == 6
    assert (tmp_path / "principal-generation").stat().st_mode & 0o077 == 0


async def test_the_memory_limiter_reports_the_file_generation(tmp_path: Path) -> None:
    generation = FileGeneration(tmp_path)
    storage = MemoryStorage(generation.current)
    first = await storage.hit(BUCKETS, time.time())
    await generation.bump()
    second = await storage.hit(BUCKETS, time.time())
    assert first.principal_generation and second.principal_generation
    assert first.principal_generation != second.principal_generation


@pytest.mark.redis
async def test_the_redis_limiter_reads_the_generation_in_its_script(
    redis_server: RedisServer,
) -> None:
    url = redis_server.url(13)
    with redis_server.client(13) as client:
        client.flushdb()
    generation = RedisGeneration(url)
    storage = RedisStorage(url, generation_key=generation.key)
    try:
        unset = await storage.hit(BUCKETS, time.time())
        await generation.bump()
        bumped = await storage.hit(BUCKETS, time.time())
        again = await storage.hit(BUCKETS, time.time())
    finally:
        await storage.close()
        await generation.close()
    assert (unset.principal_generation, bumped.principal_generation) == ("0", "1")
    assert again.principal_generation == "1"
    assert again.allowed and again.states[0].remaining == 97  # the counters still count


@pytest.mark.redis
async def test_a_limiter_without_a_generation_key_reports_none(redis_server: RedisServer) -> None:
    storage = RedisStorage(redis_server.url(13))
    try:
        decision = await storage.hit(BUCKETS, time.time())
    finally:
        await storage.close()
    assert decision.principal_generation is None
