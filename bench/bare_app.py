"""The baseline: a bare FastAPI app with the same two routes and no middleware at all.

``GET /api/v1/videos`` returns a constant list of 20 video-shaped dicts, encoded by
FastAPI's generic path (no response model), unauthenticated and without a database.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI

app = FastAPI()

_NOW = datetime.now(UTC).isoformat()
_OWNER = str(uuid.uuid4())
_VIDEOS = [
    {
        "id": str(uuid.uuid4()),
        "owner_id": _OWNER,
        "title": f"Video number {i}",
        "description": "A description of moderate length for the benchmark.",
        "script": "Did you know rivers carve canyons? " * 3,
        "tags": ["bench", "video"],
        "privacy": "private",
        "status": "draft",
        "created_at": _NOW,
        "updated_at": _NOW,
    }
    for i in range(20)
]


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/v1/videos")
async def videos() -> dict[str, Any]:
    return {"items": _VIDEOS, "total": 20, "limit": 20, "offset": 0}
