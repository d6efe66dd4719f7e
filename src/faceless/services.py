"""The long-lived objects one process shares, built once from settings.

``create_app`` builds a :class:`Services` in its lifespan and every request
reaches it through ``request.app.state.services``; workers and CLI commands
build their own with the same function, so all of them run the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from faceless.crypto.keys import Keyring, parse_keyring
from faceless.db.encryption import DataProtection, bind_data_protection
from faceless.db.engine import create_engine
from faceless.db.session import create_sessionmaker
from faceless.publishing import Publisher, create_publisher
from faceless.secrets import SecretManager, build_secret_manager
from faceless.secrets.dev import ensure_dev_secrets
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

    async def close(self) -> None:
        await self.queue.close()
        await self.engine.dispose()


def build_services(settings: Settings) -> Services:
    if settings.is_development:
        ensure_dev_secrets(settings.secrets_dir)
    manager = build_secret_manager(settings)
    signing_keys = parse_keyring("SECRET_KEY", manager.require("SECRET_KEY").reveal())
    data_keys = parse_keyring(
        "DATA_ENCRYPTION_KEY", manager.require("DATA_ENCRYPTION_KEY").reveal()
    )
    data_protection = DataProtection.from_keyring(data_keys)
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
    )
    bind_data_protection(services.sessions, data_protection)
    bind_data_protection(services.read_sessions, data_protection)
    services.queue = create_queue(services)
    services.publisher = create_publisher(settings, manager)
    return services
