"""What the data-path benchmark asks of every target: its scenarios and their wrk scripts.

A scenario names the path on our servers, on the bare FastAPI app (and whether the raw
ASGI app answers it too) and on the seed design, and whose bearer token goes with it.
Writes send one fixed body (``POST_BODY``) as the ``writer`` user, so the lists the
reads load keep their size however long the write runs last.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from our_server import video_body
from wrk_runner import lua_string

POST_BODY = json.dumps(video_body("Benchmark write"), separators=(",", ":"))
JSON = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    who: str | None  # whose bearer token is sent (None: no Authorization)
    ours: str  # the path on our servers; {video} is one of the reader's videos
    bare: str | None  # the path on the bare app (None: no bare reference)
    raw: bool = False  # the raw ASGI app answers it too
    seed: str | None = None  # the path on the seed design
    write: bool = False
    mixed: bool = False
    extra: bool = False


SCENARIOS = (
    Scenario("health", "GET /health", None, "/health", "/health", raw=True, seed="/health"),
    Scenario(
        "list",
        "GET /api/v1/videos, authenticated, 20 videos",
        "reader",
        "/api/v1/videos",
        "/api/v1/videos",
        raw=True,
        seed="/videos",
    ),
    Scenario(
        "list-token",
        "GET /api/v1/videos with an API token (videos:read), 20 videos",
        "reader-token",
        "/api/v1/videos",
        "/api/v1/videos",
        raw=True,
    ),
    Scenario(
        "create", "POST /api/v1/videos", "writer", "/api/v1/videos", "/api/v1/videos", write=True
    ),
    Scenario(
        "list-3k",
        "GET /api/v1/videos, 20 videos with 3 KB scripts",
        "reader3k",
        "/api/v1/videos",
        "/bare/videos-3k",
        raw=True,
        extra=True,
    ),
    Scenario(
        "list-100",
        "GET /api/v1/videos?limit=100, 100 videos",
        "reader100",
        "/api/v1/videos?limit=100",
        "/bare/videos-100",
        raw=True,
        extra=True,
    ),
    Scenario(
        "item",
        "GET /api/v1/videos/{id}",
        "reader",
        "/api/v1/videos/{video}",
        "/api/v1/videos/{video}",
        raw=True,
        extra=True,
    ),
    Scenario(
        "jobs",
        "GET /api/v1/jobs, 20 jobs",
        "reader",
        "/api/v1/jobs",
        "/api/v1/jobs",
        raw=True,
        extra=True,
    ),
    Scenario(
        "mixed",
        "90 % GET /api/v1/videos (20 videos), 10 % POST /api/v1/videos",
        "reader",
        "/api/v1/videos",
        "/api/v1/videos",
        mixed=True,
        extra=True,
    ),
)


def mixed_script(path: str, read: Mapping[str, str], write: Mapping[str, str]) -> str:
    """Nine reads of ``path``, then one write: both requests built once per wrk thread."""

    def table(headers: Mapping[str, str]) -> str:
        return (
            "{"
            + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
            + "}"
        )

    write_headers, body = table({**write, **JSON}), lua_string(POST_BODY)
    return f"""
local read_req, write_req
local n = 0
function init(args)
  read_req = wrk.format("GET", {lua_string(path)}, {table(read)})
  write_req = wrk.format("POST", "/api/v1/videos", {write_headers}, {body})
end
function request()
  n = n + 1
  if n % 10 == 0 then return write_req end
  return read_req
end
"""
