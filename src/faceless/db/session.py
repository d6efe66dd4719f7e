"""Session factory and the transaction scope used by requests and tasks.

Services only ``flush()``; the scope commits when the unit of work succeeds and
rolls back otherwise, so a half-done request never leaves half-written rows.

Work that must follow the outcome rides on the scope: ``after_commit`` actions run
once the commit succeeded (sending a job to a worker, removing a file the deleted
row named), ``on_rollback`` actions run when it did not (removing an upload stored
for a row that was never written). The scope owns both, so no endpoint or task runs
the commit-then-send dance itself, and nothing is sent for a transaction that failed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from faceless.db.single_writer import WriterSession, arm, disarm

logger = logging.getLogger(__name__)

_AFTER_COMMIT = "faceless.after_commit"
_ON_ROLLBACK = "faceless.on_rollback"

AfterCommit = Callable[[], Awaitable[None]]
OnRollback = Callable[[], None]


def create_sessionmaker(
    engine: AsyncEngine, *, info: dict[str, Any] | None = None
) -> async_sessionmaker[AsyncSession]:
    """Sessions for ``engine``; ``info`` is copied into every session's ``Session.info``."""
    # WriterSession: on SQLite, a transaction() takes the writer lock at its first I/O.
    factory = async_sessionmaker(
        engine, class_=WriterSession, expire_on_commit=False, autoflush=False, info=info
    )
    return cast(async_sessionmaker[AsyncSession], factory)


def _actions(session: AsyncSession, key: str) -> list[Any]:
    actions = session.info.get(key)
    if actions is None:
        # Only a ``transaction`` scope runs these; elsewhere they would be lost silently.
        raise RuntimeError("after-commit work needs a session opened by transaction()")
    assert isinstance(actions, list)
    return actions


def after_commit(session: AsyncSession, action: AfterCommit) -> None:
    """Run ``action`` once this scope's transaction has committed; dropped on rollback."""
    _actions(session, _AFTER_COMMIT).append(action)


def on_rollback(session: AsyncSession, action: OnRollback) -> None:
    """Run ``action`` if this scope's transaction rolls back or its commit fails."""
    _actions(session, _ON_ROLLBACK).append(action)


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    bind = factory.kw.get("bind")
    async with factory() as session:
        session.info[_AFTER_COMMIT] = []
        session.info[_ON_ROLLBACK] = []
        try:
            # On SQLite, one writer at a time per process, from the first statement to
            # COMMIT or ROLLBACK (db/single_writer.py); the follow-ups run after it is free.
            async with AsyncExitStack() as writer:
                await arm(session, bind if isinstance(bind, AsyncEngine) else None, writer)
                try:
                    yield session
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
                finally:
                    disarm(session)
        except BaseException:
            _run_rollback_actions(session)
            raise
        await _run_after_commit(session)


def _run_rollback_actions(session: AsyncSession) -> None:
    session.info[_AFTER_COMMIT] = []
    actions, session.info[_ON_ROLLBACK] = session.info[_ON_ROLLBACK], []
    for action in actions:
        try:
            action()
        except Exception:
            logger.warning("an on-rollback action failed", exc_info=True)


async def _run_after_commit(session: AsyncSession) -> None:
    session.info[_ON_ROLLBACK] = []
    actions, session.info[_AFTER_COMMIT] = session.info[_AFTER_COMMIT], []
    for action in actions:
        # The data is committed: a failed follow-up is logged, never turned into an
        # error for a write that did happen (each action says how it recovers).
        try:
            await action()
        except Exception:
            logger.warning("an after-commit action failed", exc_info=True)
