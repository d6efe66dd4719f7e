"""The transaction scope's follow-up work: sent after a commit, dropped on a rollback."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from faceless.crypto.keys import generate_keyring_value, parse_keyring
from faceless.db.encryption import DataProtection, bind_data_protection
from faceless.db.engine import create_engine
from faceless.db.session import after_commit, create_sessionmaker, on_rollback, transaction
from faceless.models import Role, User
from faceless.users import repository as users_repository
from tests.logcapture import captured_logs


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine: AsyncEngine = create_engine(database_url)
    factory = create_sessionmaker(engine)
    keyring = parse_keyring("DATA_ENCRYPTION_KEY", generate_keyring_value())
    bind_data_protection(factory, DataProtection.from_keyring(keyring))
    try:
        yield factory
    finally:
        await engine.dispose()


def _user(name: str) -> User:
    return User(id=uuid.uuid4(), username=name, password_hash="x", role=Role.VIEWER)


async def _exists(sessions: async_sessionmaker[AsyncSession], name: str) -> bool:
    async with sessions() as session:
        return await users_repository.get_by_username(session, name) is not None


async def test_after_commit_runs_once_the_row_is_visible_to_others(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    seen: list[bool] = []
    rolled_back: list[str] = []

    async def check() -> None:
        seen.append(await _exists(sessions, "committed"))

    async with transaction(sessions) as session:
        session.add(_user("committed"))
        after_commit(session, check)
        on_rollback(session, lambda: rolled_back.append("no"))
        assert seen == []  # nothing runs inside the unit of work
    assert seen == [True]
    assert rolled_back == []


async def test_a_failing_body_drops_the_sends_and_runs_the_rollback_actions(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    sent: list[str] = []
    upload = tmp_path / "upload.audio"
    upload.write_bytes(b"stored before the failure")

    async def send() -> None:
        sent.append("sent")

    async def refused_request() -> None:
        async with transaction(sessions) as session:
            session.add(_user("rolledback"))
            after_commit(session, send)
            on_rollback(session, upload.unlink)
            raise RuntimeError("refused")

    with pytest.raises(RuntimeError, match="refused"):
        await refused_request()
    assert sent == []
    assert not upload.exists()
    assert not await _exists(sessions, "rolledback")


async def test_a_failing_commit_counts_as_a_rollback(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with transaction(sessions) as session:
        session.add(_user("taken"))
    sent: list[str] = []
    undone: list[str] = []

    async def send() -> None:
        sent.append("sent")

    async def duplicate() -> None:
        async with transaction(sessions) as session:
            session.add(_user("taken"))  # flushed by the commit: unique username
            after_commit(session, send)
            on_rollback(session, lambda: undone.append("undone"))

    with pytest.raises(IntegrityError):
        await duplicate()
    assert sent == []
    assert undone == ["undone"]


async def test_a_failed_follow_up_is_logged_and_the_rest_still_run(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    ran: list[str] = []

    async def broken() -> None:
        raise ConnectionError("broker down")

    async def fine() -> None:
        ran.append("fine")

    with captured_logs() as logs:
        async with transaction(sessions) as session:
            session.add(_user("followup"))
            after_commit(session, broken)
            after_commit(session, fine)
    assert ran == ["fine"]
    assert await _exists(sessions, "followup")  # the write stands
    assert "an after-commit action failed" in logs.getvalue()


async def test_follow_ups_need_a_transaction_scope(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def send() -> None:
        raise AssertionError("never sent")

    async with sessions() as session:
        with pytest.raises(RuntimeError, match="transaction"):
            after_commit(session, send)
        with pytest.raises(RuntimeError, match="transaction"):
            on_rollback(session, lambda: None)
