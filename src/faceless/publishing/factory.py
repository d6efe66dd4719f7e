"""Choosing the publisher from settings and secrets, once, at start-up.

YouTube credentials stored in the database (:mod:`faceless.publishing.credentials`)
take precedence over that choice; the publish job reads them each time it runs and
passes them to :func:`select_publisher`.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.publishing import repository
from faceless.publishing.base import Publisher
from faceless.publishing.outbox import OutboxPublisher
from faceless.secrets import SecretManager
from faceless.secrets.base import Secret
from faceless.settings import Settings

# The account name quota and credential status are kept under for the secret store's trio.
STORE_ACCOUNT = "default"
# The OAuth trio YouTube publishing needs; named here so that a process without them
# never imports the YouTube client (issue 11).
SECRET_NAMES = ("YOUTUBE_CLIENT_ID", "YOUTUBE_CLIENT_SECRET", "YOUTUBE_REFRESH_TOKEN")


class PublisherConfigError(RuntimeError):
    pass


def create_publisher(settings: Settings, secrets: SecretManager | None = None) -> Publisher:
    """YouTube when all three OAuth secrets exist, else the outbox.

    Some but not all of them is a configuration mistake that would otherwise pass
    silently as "publishing to the outbox", so it stops the start-up, naming the
    missing ones (never a value).
    """
    if secrets is not None:
        found = {name: secrets.get(name) for name in SECRET_NAMES}
        missing = [name for name, secret in found.items() if secret is None]
        if len(missing) < len(SECRET_NAMES):
            from faceless.publishing.youtube import YouTubePublisher

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
                media_dir=settings.paths.media,
                settings=settings.youtube,
                account=STORE_ACCOUNT,
            )
    return OutboxPublisher(settings.paths.outbox)


def select_publisher(
    default: Publisher,
    settings: Settings,
    youtube: Mapping[str, str] | None,
    account: str = STORE_ACCOUNT,
) -> Publisher:
    """YouTube with ``youtube`` (validated credentials of the database's ``account``), else
    ``default``."""
    if youtube is None:
        return default
    from faceless.publishing.credentials import PROVIDER_KEYS
    from faceless.publishing.youtube import YouTubePublisher

    client_id, client_secret, refresh_token = (
        Secret(name, youtube[key], backend="database")
        for name, key in zip(SECRET_NAMES, PROVIDER_KEYS["youtube"], strict=True)
    )
    return YouTubePublisher(
        client_id=client_id,
        client_secret=client_secret,
        refresh_token=refresh_token,
        media_dir=settings.paths.media,
        settings=settings.youtube,
        account=account,
    )


# Publishers that upload the video itself: a video without media cannot go to them.
NEEDS_MEDIA = frozenset({"youtube"})


async def publisher_name(session: AsyncSession, default: Publisher) -> str:
    """The publisher a publish job would use now (what :func:`select_publisher` picks)."""
    if await repository.has_account(session, "youtube"):
        return "youtube"
    return default.name
