"""Video rows as the JSON documents ``VideoOut`` describes, built without validating them.

The hot read path (ADR 0026): a row the fast reader returned is already typed by the
columns' own result processors (UUIDs, enums, UTC datetimes, the tags list), and the
script was opened from its envelope. Validating it into ``VideoOut`` once more, then
serialising that model, cost more than the database round trip; instead the row is
reshaped here into the model's document, field for field in the model's order, and
``api.json_body`` serialises it with orjson. ``VideoOut`` still documents the route
and serves every write; ``tests/videos/test_documents.py`` proves that, for every
shape of row on both databases, the bytes are those ``VideoOut`` would send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from faceless.videos.schemas import VideoOut

# The model's field order: its plain columns, the two grouped files, then the rest.
_FIELDS = tuple(VideoOut.model_fields)
_FILES_AT = _FIELDS.index("media")
if _FIELDS[_FILES_AT : _FILES_AT + 2] != ("media", "thumbnail"):
    raise RuntimeError("VideoOut's media and thumbnail fields must be adjacent")
_BEFORE = _FIELDS[:_FILES_AT]
_AFTER = _FIELDS[_FILES_AT + 2 :]


def video_document(row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` (every column of ``videos``) as ``VideoOut``'s document."""
    document = {name: row[name] for name in _BEFORE}
    document["media"] = (
        None
        if row["media_content_type"] is None
        else {
            "size": row["media_size"],
            "content_type": row["media_content_type"],
            "sha256": row["media_sha256"],
            "duration_seconds": row["media_duration_seconds"],
        }
    )
    document["thumbnail"] = (
        None
        if row["thumbnail_content_type"] is None
        else {
            "size": row["thumbnail_size"],
            "content_type": row["thumbnail_content_type"],
            "width": row["thumbnail_width"],
            "height": row["thumbnail_height"],
        }
    )
    for name in _AFTER:
        document[name] = row[name]
    return document
