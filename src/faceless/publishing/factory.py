"""Choosing the publisher from settings and secrets, once, at start-up."""

from __future__ import annotations

from faceless.publishing.base import Publisher
from faceless.publishing.outbox import OutboxPublisher
from faceless.secrets import SecretManager
from faceless.settings import Settings


class PublisherConfigError(RuntimeError):
    pass


def create_publisher(settings: Settings, secrets: SecretManager | None = None) -> Publisher:
    """YouTube when all three OAuth secrets exist, else the outbox.

    Some but not all of them is a configuration mistake that would otherwise pass
    silently as "publishing to the outbox", so it stops the start-up, naming the
    missing ones (never a value).
    """
    if secrets is not None:
        from faceless.publishing.youtube import SECRET_NAMES, YouTubePublisher

        found = {name: secrets.get(name) for name in SECRET_NAMES}
        missing = [name for name, secret in found.items() if secret is None]
        if len(missing) < len(SECRET_NAMES):
            if missing:
                raise PublisherConfigError(
                    "YouTube publishing is partly configured; missing secret(s): "
                    + ", ".join(missing)
                )
            client_id, client_secret, refresh_token = (found[name] for name in SECRET_NAMES)
            assert client_id is not None
            assert client_secret is not None
            assert refresh_token is not None
            return YouTubePublisher(
                client_id=client_id,
                client_secret=client_secret,
                refresh_token=refresh_token,
                media_dir=settings.paths.var_dir / "media",
            )
    return OutboxPublisher(settings.paths.outbox)
