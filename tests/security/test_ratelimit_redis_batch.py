"""The Redis limiter sends one turn's hits as one script call and stays exact (issue 11)."""

from __future__ import annotations

import asyncio
import time

import pytest

from faceless.security.ratelimit.redis_storage import MAX_BATCH, RedisStorage
from faceless.security.ratelimit.storage import Bucket, StorageUnavailableError
from tests.fixtures import RedisServer

pytestmark = pytest.mark.redis


def _fresh(redis_server: RedisServer, db: int) -> str:
    with redis_server.client(db) as client:
        client.flushdb()
    return redis_server.url(db)


async def test_concurrent_hits_in_one_turn_let_exactly_the_limit_through(
    redis_server: RedisServer,
) -> None:
    storage = RedisStorage(_fresh(redis_server, 12))
    sent: list[int] = []
    real_send = storage._send

    async def counting_send(batch: list[object]) -> None:
        sent.append(len(batch))
        await real_send(batch)  # type: ignore[arg-type]

    storage._send = counting_send  # type: ignore[method-assign]
    # Each request has two buckets, the client's (limit 25) and one shared by all (40):
    # the order within the batch decides, exactly as one request after another would.
    requests = [
        (Bucket(f"ip:{i % 2}", 25, 60), Bucket("user:shared", 40, 60)) for i in range(2 * MAX_BATCH)
    ]
    try:
        now = time.time()
        decisions = await asyncio.gather(*(storage.hit(buckets, now) for buckets in requests))
    finally:
        await storage.close()
    assert sent == [MAX_BATCH, MAX_BATCH]  # one turn: two script calls, bounded in size
    allowed = [d for d in decisions if d.allowed]
    assert len(allowed) == 40  # the shared budget, though each client's alone allowed 25
    # Allowed in arrival order, each seeing the hits before it.
    assert [d.states[1].remaining for d in allowed] == list(range(39, -1, -1))
    assert all(d.allowed for d in decisions[:40]) and not any(d.allowed for d in decisions[40:])
    # A refusal spends nothing: the first 40 alternate clients, 20 hits each.
    assert {d.states[0].remaining for d in decisions[-2:]} == {5}


async def test_hits_of_separate_turns_are_separate_calls_and_keep_counting(
    redis_server: RedisServer,
) -> None:
    storage = RedisStorage(_fresh(redis_server, 12))
    bucket = (Bucket("ip:one", 3, 60),)
    try:
        answers = [await storage.hit(bucket, time.time()) for _ in range(4)]
    finally:
        await storage.close()
    assert [a.allowed for a in answers] == [True, True, True, False]
    assert [a.states[0].remaining for a in answers] == [2, 1, 0, 0]


async def test_every_waiting_request_learns_that_redis_is_down() -> None:
    # Nothing listens on this port: every hit in the batch gets the fail-mode error.
    storage = RedisStorage("redis://127.0.0.1:9/0", timeout=0.5)
    try:
        outcomes = await asyncio.wait_for(
            asyncio.gather(
                *(storage.hit((Bucket(f"ip:{i}", 5, 60),), time.time()) for i in range(10)),
                return_exceptions=True,
            ),
            timeout=10,
        )
    finally:
        await storage.close()
    assert len(outcomes) == 10
    assert all(isinstance(outcome, StorageUnavailableError) for outcome in outcomes)
