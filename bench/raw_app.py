"""The floor: a raw ASGI app sending the exact bytes our server answered, no framework at all.

Reads ``<BENCH_BODIES_DIR>/<name>.json`` once at start (the bytes our server returned)
and answers GET requests on the same paths as ``bench/bare_app.py`` with them, as
``application/json`` with a Content-Length. What it measures is uvicorn, httptools and
uvloop alone: no routing beyond a dict lookup, no encoding, no validation.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

_DIR = Path(os.environ["BENCH_BODIES_DIR"])
_BODIES = {path.stem: path.read_bytes() for path in _DIR.glob("*.json")}
_BY_PATH = {
    "/health": _BODIES["health"],
    "/api/v1/videos": _BODIES["videos"],
    "/api/v1/jobs": _BODIES.get("jobs", b"{}"),
    "/bare/videos-3k": _BODIES.get("videos-3k", b"{}"),
    "/bare/videos-100": _BODIES.get("videos-100", b"{}"),
}
_ITEM_PREFIX = "/api/v1/videos/"
_NOT_FOUND = b'{"detail":"Not Found"}'


def _headers(body: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def app(scope: Message, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    path: str = scope["path"]
    body = _BY_PATH.get(path)
    if body is None and path.startswith(_ITEM_PREFIX):
        body = _BODIES.get("video")
    status = 200
    if body is None or scope["method"] != "GET":
        status, body = 404, _NOT_FOUND
    await send({"type": "http.response.start", "status": status, "headers": _headers(body)})
    await send({"type": "http.response.body", "body": body})
