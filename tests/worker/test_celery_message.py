"""The API's job message is the one Celery itself would send, byte for byte in meaning.

The API pushes job messages without Celery (``worker.celery_message``); here Celery's
own ``send_task`` and ``CeleryQueue.enqueue`` each put one on a real Redis, and the two
must agree on every field but those that are unique per message or per process.
(tests/worker/test_worker_celery.py shows real workers run what the API sends.)
"""

from __future__ import annotations

import base64
import uuid
from pathlib import Path
from typing import Any

import orjson
import pytest

from faceless.worker.celery_config import QUEUE, TASK_NAME, create_celery_app
from faceless.worker.celery_queue import CeleryQueue
from tests.fixtures import RedisServer
from tests.worker.support import make_settings

pytestmark = pytest.mark.redis

DB = 11
PER_MESSAGE = {"delivery_tag", "reply_to", "origin"}


def _popped(redis_server: RedisServer) -> dict[str, Any]:
    with redis_server.client(DB) as client:
        raw = client.rpop(QUEUE)
        assert client.llen(QUEUE) == 0
    assert isinstance(raw, bytes)
    message: dict[str, Any] = orjson.loads(raw)
    message["body"] = orjson.loads(base64.b64decode(message["body"]))
    for section in ("headers", "properties"):
        for name in PER_MESSAGE & message[section].keys():
            message[section][name] = type(message[section][name]).__name__
    return message


async def test_the_sent_message_is_celerys_own(tmp_path: Path, redis_server: RedisServer) -> None:
    with redis_server.client(DB) as client:
        client.flushdb()
    settings = make_settings(tmp_path, "sqlite+aiosqlite:///unused.db", redis_server.url(DB))
    job_id = uuid.uuid4()

    celery = create_celery_app(settings)
    try:
        celery.send_task(TASK_NAME, args=[str(job_id)], task_id=str(job_id), queue=QUEUE)
    finally:
        celery.close()
    expected = _popped(redis_server)

    queue = CeleryQueue(settings)
    await queue.start()
    try:
        await queue.enqueue(job_id)
    finally:
        await queue.close()
    assert _popped(redis_server) == expected
    assert expected["headers"]["id"] == str(job_id)
