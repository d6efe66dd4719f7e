"""The long-lived objects one process shares, built once from settings.

``create_app`` builds a :class:`Services` in its lifespan and every request
reaches it through ``request.app.state.services``; workers and CLI commands
build their own with the same function, so all of them run the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from faceless.crypto.keys import Keyring, parse_keyring
from faceless.db.encryption import DataProtection, bind_data_protection
from faceless.db.engine import create_engine
from faceless.db.session import create_sessionmaker
from faceless.logging import register_secret_source
from faceless.publishing import Publisher, create_publisher
from faceless.secrets import SecretEvent, SecretManager, build_secret_manager
from faceless.secrets.audit import record_secret_events
from faceless.secrets.dev import ensure_dev_secrets
from faceless.secrets.validation import ensure_valid
from faceless.security.passwords import PasswordHashing
from faceless.security.tokens import TokenCodec
from faceless.settings import Settings
from faceless.worker.factory import create_queue
from faceless.worker.queue import JobQueue


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # Autocommit: reads (the per-request auth check, GET endpoints) skip BEGIN/COMMIT.
    read_sessions: async_sessionmaker[AsyncSession]
    secrets: SecretManager
    signing_keys: Keyring
    # Column encryption and blind indexes (DATA_ENCRYPTION_KEY); bound to both session makers.
    data_protection: DataProtection
    tokens: TokenCodec
    passwords: PasswordHashing
    # Set right after construction: queues need the finished Services to run jobs.
    queue: JobQueue = field(init=False)
    publisher: Publisher = field(init=False)
    # Secret loads and failures not yet written to the audit trail (see ``start``).
    secret_events: list[SecretEvent] = field(default_factory=list)

    _secret_flush: asyncio.Task[int] | None = field(default=None, init=False, repr=False)

    async def start(self) -> None:
        await self.queue.start()
        await record_secret_events(self)
        # Later loads and failures (a TTL refresh, a store going down mid-run) reach the
        # audit trail soon after they happen, from whichever thread read the secret.
        loop = asyncio.get_running_loop()

        def wake(_event: SecretEvent) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(self._flush_secret_events)

        self.secrets.subscribe(wake)

    def _flush_secret_events(self) -> None:
        if self._secret_flush is None or self._secret_flush.done():
            self._secret_flush = asyncio.create_task(record_secret_events(self))

    def reload_secrets(self) -> None:
        """Re-read every secret (SIGHUP, ``faceless secrets reload``) and swap the keys in.

        Validation runs first, so a bad rotation leaves the running keys untouched.
        Sessions opened from now on use the new data keyring; tokens are signed with the
        new current key, and a key removed from the ring stops verifying at once.
        """
        self.secrets.reload()
        ensure_valid(self.settings, self.secrets)
        self.signing_keys, self.data_protection = _keyrings(self.secrets)
        self.tokens.use_keyring(self.signing_keys)
        bind_data_protection(self.sessions, self.data_protection)
        bind_data_protection(self.read_sessions, self.data_protection)

    async def close(self) -> None:
        if self._secret_flush is not None:
            await asyncio.gather(self._secret_flush, return_exceptions=True)
        await self.queue.close()
        await self.engine.dispose()


def _keyrings(manager: SecretManager) -> tuple[Keyring, DataProtection]:
    signing_keys = parse_keyring("SECRET_KEY", manager.require("SECRET_KEY").reveal())
    data_keys = parse_keyring(
        "DATA_ENCRYPTION_KEY", manager.require("DATA_ENCRYPTION_KEY").reveal()
    )
    return signing_keys, DataProtection.from_keyring(data_keys)


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


def build_services(settings: Settings) -> Services:
    settings, manager, events = load_secrets(settings)
    signing_keys, data_protection = _keyrings(manager)
    engine = create_engine(
        settings.database_url, pool_size=settings.database.pool_size, echo=settings.database.echo
    )
    tokens = TokenCodec(
        signing_keys,
        issuer=settings.issuer,
        audience=settings.auth.audience,
        lifetime=timedelta(seconds=settings.auth.access_token_seconds),
    )
    services = Services(
        settings=settings,
        engine=engine,
        sessions=create_sessionmaker(engine),
        read_sessions=create_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT")),
        secrets=manager,
        signing_keys=signing_keys,
        data_protection=data_protection,
        tokens=tokens,
        passwords=PasswordHashing(settings.auth.max_concurrent_hashes),
        secret_events=events,
    )
    bind_data_protection(services.sessions, data_protection)
    bind_data_protection(services.read_sessions, data_protection)
    services.queue = create_queue(services)
    services.publisher = create_publisher(settings, manager)
    return services
