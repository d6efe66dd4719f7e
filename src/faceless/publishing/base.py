"""What a publisher receives and returns, and the Publisher protocol.

Publishers are async: the outbox does its file work in a thread, the YouTube
publisher speaks HTTP with an async client. ``publish`` must be idempotent for a
given ``schedule_id`` where the destination allows it (the outbox does; see each
implementation), because a worker that crashes after publishing but before
committing the outcome retries the job.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol


class PublishError(Exception):
    """Publishing failed; the message is safe to show the video's owner."""


class PublishDeferredError(PublishError):
    """Not now, and nothing went out: publish again at ``not_before`` (message says why)."""

    def __init__(self, message: str, *, not_before: datetime, quota_spent: bool = False) -> None:
        super().__init__(message)
        self.not_before = not_before
        # The provider said the day's quota is gone (not merely a rate limit).
        self.quota_spent = quota_spent


class CredentialsRefusedError(PublishError):
    """The provider refused the account's credentials (OAuth ``invalid_grant``)."""


@dataclass(frozen=True, slots=True)
class PublishPackage:
    video_id: uuid.UUID
    schedule_id: uuid.UUID
    title: str
    description: str
    tags: tuple[str, ...]
    privacy: str
    publish_at: datetime
    captions_srt: str | None = None
    captions_vtt: str | None = None
    captions_language: str | None = None
    # The disclosures YouTube asks for (snippet.categoryId, snippet.defaultLanguage,
    # status.selfDeclaredMadeForKids, status.containsSyntheticMedia).
    made_for_kids: bool = False
    contains_synthetic_media: bool = False
    category_id: str = "22"
    default_language: str | None = None
    # The uploaded files (``<var>/media/<video_id>``, ``<var>/thumbnails/<video_id>``) and
    # their stored content types; None when the video has none.
    media_path: Path | None = None
    media_content_type: str | None = None
    thumbnail_path: Path | None = None
    thumbnail_content_type: str | None = None


@dataclass(frozen=True, slots=True)
class PublishReceipt:
    publisher: str
    # Where the package went, without server paths: "outbox:<video_id>", "youtube:<id>".
    reference: str
    already_published: bool = False
    details: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "publisher": self.publisher,
            "reference": self.reference,
            "already_published": self.already_published,
            **({"details": dict(self.details)} if self.details else {}),
        }


class Publisher(Protocol):
    name: str

    async def publish(self, package: PublishPackage) -> PublishReceipt:
        """Deliver the package; raise PublishError (client-safe message) on failure."""
        ...
