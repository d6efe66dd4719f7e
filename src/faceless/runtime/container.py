"""The long-lived objects one process shares, built once from settings.

``create_app`` builds a :class:`Runtime` in its lifespan and every request reaches it
through ``request.app.state.runtime``; workers and CLI commands build their own with
the same function, so all of them run the same code.

Nothing below the entry layer imports this module: code that needs some of these
objects declares a narrow ``Protocol`` of what it uses (``JobContext`` for jobs,
``Reloadable`` for the secret reload, ``ExportSource`` for the audit head export), and
a ``Runtime`` satisfies each of them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from faceless.analyze.llm import LlmSuggester
from faceless.auth.principal_cache import PrincipalCache
from faceless.auth.revocation import GENERATION_INFO_KEY
from faceless.crypto.keys import Keyring, parse_keyring
from faceless.db.audit.sequencer import chain_pending, sequencer_for
from faceless.db.encryption import DataProtection, bind_data_protection
from faceless.db.engine import create_engine
from faceless.db.fast_read import FastReader, create_fast_reader
from faceless.db.pooled_driver import release_kept
from faceless.db.session import create_sessionmaker
from faceless.health.service import ReadinessCache
from faceless.publishing import Publisher, create_publisher
from faceless.secrets import SecretEvent, SecretManager
from faceless.secrets.audit import record_secret_events
from faceless.secrets.loading import load_secrets
from faceless.secrets.validation import ensure_valid
from faceless.security.api_tokens import ApiTokenHasher, TokenOwners
from faceless.security.passwords import PasswordHashing
from faceless.security.principal_generation import FileGeneration, RedisGeneration
from faceless.security.tokens import TokenCodec
from faceless.settings import Settings
from faceless.worker.queue import JobQueue

if TYPE_CHECKING:
    from faceless.worker.handlers import JobRegistry


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # The hot read path (the lists every client polls): SQL compiled once, on the driver.
    fast_reader: FastReader
    # Autocommit: reads (the per-request auth check, GET endpoints) skip BEGIN/COMMIT.
    read_sessions: async_sessionmaker[AsyncSession]
    secrets: SecretManager
    signing_keys: Keyring
    # Column encryption and blind indexes (DATA_ENCRYPTION_KEY); bound to both session makers.
    data_protection: DataProtection
    tokens: TokenCodec
    # API tokens' HMACs (API_TOKEN_HMAC_KEY) and the owners of the tokens seen so far.
    api_tokens: TokenOwners
    passwords: PasswordHashing
    publisher: Publisher
    # LLM suggestions for the analysis (asks only when ANTHROPIC_API_KEY is set).
    suggester: LlmSuggester
    # Bumped after a change to who a principal is (see security.principal_generation).
    principal_generation: RedisGeneration | FileGeneration
    # Set right after construction: the embedded queue runs jobs with this Runtime.
    queue: JobQueue = field(init=False)
    # Secret loads and failures not yet written to the audit trail (see ``start``).
    secret_events: list[SecretEvent] = field(default_factory=list)
    # Who recent sign-in sessions speak for, valid while the principal generation stands.
    principal_cache: PrincipalCache = field(default_factory=PrincipalCache)
    # The latest answer of each readiness check: backends are asked at most every 5 s.
    readiness_cache: ReadinessCache = field(default_factory=ReadinessCache)
    # Wall-clock seconds that one-time (TOTP) codes are checked against; tests set it.
    clock: Callable[[], float] = time.time
    # The job kinds this process can run, and the scheduler loop's periodic work (see
    # ``jobs``); None: every kind, imported at first use.
    registry: JobRegistry | None = None

    _secret_flush: asyncio.Task[int] | None = field(default=None, init=False, repr=False)

    @property
    def jobs(self) -> JobRegistry:
        """What workers of this process run; only the embedded queue asks in the API process.

        Every job's code (publishing, transcription, their adapters) is imported here, at
        the first ask: the API process of the Redis shape sends jobs and runs none, and a
        module imported stays resident for the process's life (issue 11).
        """
        if self.registry is None:
            from faceless.runtime.jobs import JOBS

            self.registry = JOBS
        return self.registry

    async def start(self) -> None:
        # Events a stopped process committed but did not chain (ADR 0022).
        await chain_pending(self.engine)
        await self.queue.start()
        await self.suggester.start()
        await record_secret_events(self.sessions, self.secret_events)
        # Later loads and failures (a TTL refresh, a store going down mid-run) reach the
        # audit trail soon after they happen, from whichever thread read the secret.
        loop = asyncio.get_running_loop()

        def wake(_event: SecretEvent) -> None:
            with contextlib.suppress(RuntimeError):  # the loop has already closed
                loop.call_soon_threadsafe(self._flush_secret_events)

        self.secrets.subscribe(wake)

    def _flush_secret_events(self) -> None:
        if self._secret_flush is None or self._secret_flush.done():
            self._secret_flush = asyncio.create_task(
                record_secret_events(self.sessions, self.secret_events)
            )

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
        self.api_tokens.hasher.use_keyring(_api_token_keys(self.secrets))
        bind_data_protection(self.sessions, self.data_protection)
        bind_data_protection(self.read_sessions, self.data_protection)

    async def close(self) -> None:
        if self._secret_flush is not None:
            await asyncio.gather(self._secret_flush, return_exceptions=True)
        await self.queue.close()
        await self.suggester.aclose()
        await sequencer_for(self.engine).idle()
        await self.principal_generation.close()
        await self.fast_reader.close()
        # Connections the hot reads and writes keep (ADR 0031) are checked out: back to
        # the pool before it is disposed of.
        await release_kept(self.engine)
        await self.engine.dispose()


def _keyrings(manager: SecretManager) -> tuple[Keyring, DataProtection]:
    signing_keys = parse_keyring("SECRET_KEY", manager.require("SECRET_KEY").reveal())
    data_keys = parse_keyring(
        "DATA_ENCRYPTION_KEY", manager.require("DATA_ENCRYPTION_KEY").reveal()
    )
    return signing_keys, DataProtection.from_keyring(data_keys)


def _api_token_keys(manager: SecretManager) -> Keyring:
    return parse_keyring("API_TOKEN_HMAC_KEY", manager.require("API_TOKEN_HMAC_KEY").reveal())


def build_runtime(settings: Settings, *, jobs: JobRegistry | None = None) -> Runtime:
    """Everything one process shares; ``jobs`` is the registry its workers run from
    (default: every job kind, see ``Runtime.jobs``)."""
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
    generation = _principal_generation(settings)
    # Transactions find the generation through their session (principals_changed).
    info = {GENERATION_INFO_KEY: generation}
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=create_sessionmaker(engine, info=info),
        fast_reader=create_fast_reader(engine),
        read_sessions=create_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"), info=info
        ),
        secrets=manager,
        signing_keys=signing_keys,
        data_protection=data_protection,
        tokens=tokens,
        api_tokens=TokenOwners(ApiTokenHasher(_api_token_keys(manager))),
        passwords=PasswordHashing(settings.auth.max_concurrent_hashes),
        publisher=create_publisher(settings, manager),
        suggester=LlmSuggester(settings.anthropic, secrets=manager),
        registry=jobs,
        secret_events=events,
        principal_generation=generation,
    )
    bind_data_protection(runtime.sessions, data_protection)
    bind_data_protection(runtime.read_sessions, data_protection)
    runtime.queue = _queue(runtime)
    return runtime


@contextlib.asynccontextmanager
async def command_runtime(settings: Settings) -> AsyncIterator[Runtime]:
    """A runtime for one CLI command, closed as a server closes its own.

    Disposing of the engine alone, as the commands did, left ``asyncio.run`` to cancel
    the audit sequencer mid-transaction (SQLAlchemy's pool logged the cancelled reset as
    an error, and the command's events waited for the next start to be chained) and the
    hot path's kept connections checked out.
    """
    runtime = build_runtime(settings)
    try:
        yield runtime
    finally:
        await runtime.close()


def _principal_generation(settings: Settings) -> RedisGeneration | FileGeneration:
    """Shared through Redis when there is one, else through the var directory."""
    if settings.redis.url:
        return RedisGeneration(settings.redis.url, timeout=settings.redis.socket_timeout)
    return FileGeneration(settings.paths.var_dir)


def _queue(runtime: Runtime) -> JobQueue:
    """Celery when Redis is configured (workers in their own processes), else in-process."""
    # Imported here: the embedded default never needs Celery in memory, and the API
    # process with Redis never runs a job, so it holds none of the worker core.
    if not runtime.settings.redis.url:
        from faceless.worker.embedded import EmbeddedQueue

        return EmbeddedQueue(runtime)
    from faceless.worker.celery_queue import CeleryQueue

    return CeleryQueue(runtime.settings)
