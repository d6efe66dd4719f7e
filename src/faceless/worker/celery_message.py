"""A job's task message in Celery's protocol 2, as kombu's Redis transport stores it.

The API process only *sends* jobs; importing Celery (with kombu, billiard, amqp,
dateutil, yaml: about 150 modules) and sending through it cost the idle process 4 to
7 MB (issue 11). What ``app.send_task(TASK_NAME, args=[job_id], task_id=job_id,
queue=QUEUE)`` puts in Redis is one ``LPUSH`` of the JSON below onto the queue's key
(the default exchange routes by queue name; priority 0 uses the key itself), so the
API builds that message and pushes it with the Redis client it already has. The
workers are real Celery (``runtime.celery_worker``) and read it as their own;
tests/worker/test_worker_celery.py runs jobs sent this way.

Reference: Celery's "Message Protocol" (version 2) and kombu's virtual transport
(``basic_publish`` to the anonymous exchange, ``redis.Channel._put``).
"""

from __future__ import annotations

import base64
import os
import socket
import uuid

import orjson

TASK_NAME = "faceless.run_job"
QUEUE = "faceless"

# The process's reply-to address, as a Celery app's ``oid``: one per process. No result
# ever travels back (there is no result backend), but the protocol carries one.
_REPLY_TO = str(uuid.uuid4())


def _origin() -> str:
    """Who sent it, as Celery names an anonymous producer: gen<pid>@<host>."""
    return f"gen{os.getpid()}@{socket.gethostname()}"


def task_message(job_id: uuid.UUID, *, task: str = TASK_NAME, queue: str = QUEUE) -> bytes:
    """The broker message that runs ``task(str(job_id))``; the task id is the job id."""
    task_id = str(job_id)
    args = [task_id]
    embed = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}
    body = orjson.dumps([args, {}, embed])
    headers: dict[str, object] = {
        "lang": "py",
        "task": task,
        "id": task_id,
        "shadow": None,
        "eta": None,
        "expires": None,
        "group": None,
        "group_index": None,
        "retries": 0,
        "timelimit": [None, None],  # the worker's task_time_limit applies
        "root_id": task_id,
        "parent_id": None,
        "argsrepr": repr(args),
        "kwargsrepr": "{}",
        "origin": _origin(),
        "ignore_result": None,
        "replaced_task_nesting": 0,
        "stamped_headers": None,
        "stamps": {},
    }
    properties: dict[str, object] = {
        "correlation_id": task_id,
        "reply_to": _REPLY_TO,
        "delivery_mode": 2,  # persistent
        "delivery_info": {"exchange": "", "routing_key": queue},
        "priority": 0,
        "body_encoding": "base64",
        "delivery_tag": str(uuid.uuid4()),
    }
    return orjson.dumps(
        {
            "body": base64.b64encode(body).decode(),
            "content-encoding": "utf-8",
            "content-type": "application/json",
            "headers": headers,
            "properties": properties,
        }
    )
