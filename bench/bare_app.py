"""The baseline: a bare FastAPI app with our routes' shapes and no middleware at all.

With ``BENCH_BODIES_DIR`` set, each route returns the body our server returned for the
same request, read from ``<dir>/<name>.json`` and parsed into Python objects once at
start: FastAPI's generic path encodes it on every request (no response model), without
authentication or a database. ``POST /api/v1/videos`` validates the body with a model of
the same fields and constraints as ours and answers 201 with the body our server
answered. Without the variable, synthetic bodies of the same shape stand in (20 videos).
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _synthetic() -> dict[str, Any]:
    now = datetime.now(UTC).isoformat()
    owner = str(uuid.uuid4())
    videos = [
        {
            "id": str(uuid.uuid4()),
            "owner_id": owner,
            "title": f"Video number {i}",
            "description": "A description of moderate length for the benchmark.",
            "script": "Did you know rivers carve canyons? " * 3,
            "tags": ["bench", "video"],
            "privacy": "private",
            "status": "draft",
            "created_at": now,
            "updated_at": now,
        }
        for i in range(20)
    ]
    listing = {"items": videos, "total": 20, "limit": 20, "offset": 0}
    return {
        "health": {"status": "ok"},
        "videos": listing,
        "videos-3k": listing,
        "videos-100": listing,
        "video": videos[0],
        "created": videos[0],
        "jobs": {"items": [], "total": 0, "limit": 20, "offset": 0},
    }


def _load_bodies() -> dict[str, Any]:
    directory = os.environ.get("BENCH_BODIES_DIR")
    if not directory:
        return _synthetic()
    return {path.stem: json.loads(path.read_bytes()) for path in Path(directory).glob("*.json")}


_BODIES = _load_bodies()


class Privacy(StrEnum):
    PRIVATE = "private"
    UNLISTED = "unlisted"
    PUBLIC = "public"


def _tags_fit(tags: list[str]) -> list[str]:
    if sum(len(tag) for tag in tags) + max(len(tags) - 1, 0) > 500:
        raise ValueError("tags take more than 500 characters")
    return tags


class VideoIn(BaseModel):
    """Our VideoCreate's fields and limits (src/faceless/videos/schemas.py, fields.py)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    title: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    description: Annotated[str, StringConstraints(max_length=5000)] = ""
    script: Annotated[str, StringConstraints(max_length=100_000)] = ""
    tags: Annotated[
        list[Annotated[str, StringConstraints(min_length=1, max_length=100)]],
        AfterValidator(_tags_fit),
        Field(max_length=250),
    ] = []
    privacy: Privacy = Privacy.PRIVATE


# response_model=None: the return annotation would otherwise become a response model.
app = FastAPI()


@app.get("/health", response_model=None)
async def health() -> Any:
    return _BODIES["health"]


@app.get("/api/v1/videos", response_model=None)
async def videos() -> Any:
    return _BODIES["videos"]


@app.post("/api/v1/videos", status_code=201, response_model=None)
async def create_video(body: VideoIn) -> Any:
    return _BODIES["created"]


@app.get("/api/v1/videos/{video_id}", response_model=None)
async def video(video_id: uuid.UUID) -> Any:
    return _BODIES["video"]


@app.get("/api/v1/jobs", response_model=None)
async def jobs() -> Any:
    return _BODIES["jobs"]


# The same lists as our GET /api/v1/videos answers other users (3 KB scripts) and
# ?limit=100: distinct paths, since the bare app has no users and no query parameters.
@app.get("/bare/videos-3k", response_model=None)
async def videos_3k() -> Any:
    return _BODIES["videos-3k"]


@app.get("/bare/videos-100", response_model=None)
async def videos_100() -> Any:
    return _BODIES["videos-100"]
