"""create_publisher: the outbox by default, YouTube only with all three OAuth secrets."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from faceless.publishing import PublisherConfigError, create_publisher
from faceless.publishing.outbox import OutboxPublisher
from faceless.publishing.youtube import YouTubePublisher
from faceless.secrets import SecretManager
from faceless.secrets.files import FilesBackend
from faceless.settings import PathSettings, Settings

NAMES = ("YOUTUBE_CLIENT_ID", "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN")


def _secrets(directory: Path, names: tuple[str, ...]) -> SecretManager:
    directory.mkdir(mode=0o700, exist_ok=True)
    for name in names:
        fd = os.open(directory / name, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"value-of-{name.lower()}-0123456789\n")
    return SecretManager([FilesBackend(directory)], ttl_seconds=0)


def _settings(tmp_path: Path) -> Settings:
    return Settings(paths=PathSettings(var_dir=tmp_path / "var"))


def test_outbox_without_secrets(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    for publisher in (
        create_publisher(settings),
        create_publisher(settings, _secrets(tmp_path / "s", ())),
    ):
        assert isinstance(publisher, OutboxPublisher)
        assert publisher.outbox_dir == settings.paths.outbox


def test_youtube_with_all_three_secrets(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    publisher = create_publisher(settings, _secrets(tmp_path / "s", NAMES))
    assert isinstance(publisher, YouTubePublisher)
    assert publisher.name == "youtube"
    video_id = uuid.uuid4()
    assert publisher.media_path(video_id) == settings.paths.var_dir / "media" / str(video_id)
    assert "value-of" not in repr(vars(publisher))


def test_partial_youtube_configuration_refuses_to_start(tmp_path: Path) -> None:
    with pytest.raises(PublisherConfigError) as caught:
        create_publisher(_settings(tmp_path), _secrets(tmp_path / "s", NAMES[:2]))
    assert "YOUTUBE_REFRESH_TOKEN" in str(caught.value)
    assert "value-of" not in str(caught.value)
