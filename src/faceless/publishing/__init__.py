"""Publishing finished videos: the Publisher protocol, the outbox and YouTube publishers."""

from faceless.publishing.base import Publisher, PublishError, PublishPackage, PublishReceipt
from faceless.publishing.factory import PublisherConfigError, create_publisher

__all__ = [
    "PublishError",
    "PublishPackage",
    "PublishReceipt",
    "Publisher",
    "PublisherConfigError",
    "create_publisher",
]
