"""Loading the secret chain at start-up: validated, and completing the settings.

Every process (API, worker, scheduler, CLI) starts here, before the database is
reachable: the database and Redis URLs may themselves live in the secret store.
"""

from __future__ import annotations

from faceless.logging import register_secret_source
from faceless.secrets.dev import ensure_dev_secrets
from faceless.secrets.factory import build_secret_manager
from faceless.secrets.manager import SecretEvent, SecretManager
from faceless.secrets.validation import ensure_valid
from faceless.settings import Settings


def resolve_settings(settings: Settings, manager: SecretManager) -> Settings:
    """DATABASE_URL and REDIS_URL from the secret store when the environment lacks them.

    Both carry passwords, so production keeps them in Vault, AWS or a secret file; the
    environment variable, when set, still wins (it is the operator's explicit choice).
    """
    updates: dict[str, object] = {}
    if not settings.database.url and (url := manager.get("DATABASE_URL")) is not None:
        updates["database"] = settings.database.model_copy(update={"url": url.reveal()})
    if not settings.redis.url and (url := manager.get("REDIS_URL")) is not None:
        updates["redis"] = settings.redis.model_copy(update={"url": url.reveal()})
    return settings.model_copy(update=updates) if updates else settings


def load_secrets(settings: Settings) -> tuple[Settings, SecretManager, list[SecretEvent]]:
    """The secret chain, validated (every problem at once), and the settings it completes.

    Raises ``SecretsInvalidError`` or ``SecretsConfigError``; neither message holds a value.
    """
    if settings.is_development:
        ensure_dev_secrets(settings.secrets_dir)
    manager = build_secret_manager(settings)
    register_secret_source(manager.loaded_values)
    events: list[SecretEvent] = []
    manager.subscribe(events.append)
    ensure_valid(settings, manager)
    return resolve_settings(settings, manager), manager, events
