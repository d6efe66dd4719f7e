"""The sequencer: events commit with their action and are chained before the response.

Through the API: 2,000 writes from 32 concurrent clients form one gapless chain that
verifies, and each event is in the chain by the time its client has the answer. Below
the API: a rollback leaves nothing behind, and events committed by a process that died
before chaining them are chained by the next run, at start-up and by ``audit verify``.
"""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from typer.testing import CliRunner

from faceless.cli.main import app as cli
from faceless.db.audit import sequencer
from faceless.db.audit.sequencer import BATCH, Claim, chain_pending, sequencer_for
from faceless.db.audit.verify import ChainReport, verify_chain
from faceless.db.audit.writer import record
from faceless.db.session import transaction
from faceless.models import AuditEvent, AuditInbox, Role
from faceless.runtime.container import Runtime, build_runtime
from faceless.settings import Settings
from tests.conftest import Accounts, cli_env, running_app
from tests.db.audit.support import append, head

CLIENTS = 32
WRITES = 2000


async def chain_state(services: Runtime) -> tuple[ChainReport, list[int], int]:
    """(verification with the export, chain ids in order, inbox rows left)."""
    async with services.read_sessions() as session:
        report = await verify_chain(
            session,
            head_file=services.settings.audit_head_file,
            keyring=services.data_protection.cipher.keyring,
        )
        ids = list(await session.scalars(select(AuditEvent.id).order_by(AuditEvent.id)))
        pending = await session.scalar(select(func.count()).select_from(AuditInbox))
    return report, ids, int(pending or 0)


async def chained_targets(services: Runtime, action: str) -> list[str]:
    async with services.read_sessions() as session:
        query = select(AuditEvent.target).where(AuditEvent.action == action)
        return [str(target) for target in await session.scalars(query)]


async def test_concurrent_api_writes_form_one_chain(settings: Settings) -> None:
    async with running_app(settings) as (services, client):
        auth = await Accounts(services, client).headers("writer", Role.EDITOR)
        created: list[str] = []
        not_chained_at_answer: list[str] = []

        async def one_client(number: int) -> None:
            # 2,000 writes over 32 clients: the first 16 write 63, the others 62.
            for n in range(WRITES // CLIENTS + (number < WRITES % CLIENTS)):
                body = {"title": f"c{number} w{n}", "script": "narration"}
                response = await client.post("/api/v1/videos", json=body, headers=auth)
                assert response.status_code == 201, response.text
                target = f"video:{response.json()['id']}"
                created.append(target)
                # The client has its answer: the event must already be in the chain.
                if target not in await chained_targets(services, "video.create"):
                    not_chained_at_answer.append(target)

        await asyncio.gather(*(one_client(number) for number in range(CLIENTS)))
        report, ids, pending = await chain_state(services)
        targets = await chained_targets(services, "video.create")

    assert len(created) == WRITES
    assert not_chained_at_answer == []
    assert report.valid, report
    assert ids == list(range(1, report.entries + 1))  # gapless, in order
    assert pending == 0
    assert sorted(targets) == sorted(created)  # each write's event once, none lost


async def test_the_audit_api_shows_an_event_once_its_action_answered(
    app_and_client: tuple[Runtime, httpx.AsyncClient],
) -> None:
    services, client = app_and_client
    accounts = Accounts(services, client)
    editor = await accounts.headers("editor", Role.EDITOR)
    admin = await accounts.headers("admin", Role.ADMIN)
    created = await client.post("/api/v1/videos", json={"title": "seen"}, headers=editor)
    assert created.status_code == 201
    newest = (await client.get("/api/v1/audit", params={"limit": 1}, headers=admin)).json()
    assert newest["items"][0]["action"] == "video.create"
    assert newest["items"][0]["target"] == f"video:{created.json()['id']}"
    verified = (await client.get("/api/v1/audit/verify", headers=admin)).json()
    assert verified == {"valid": True, "entries": newest["total"]}


class Refused(Exception):
    """The request failed after its event was recorded."""


async def test_a_rolled_back_transaction_leaves_no_inbox_row_and_no_event(
    bare_services: Runtime,
) -> None:
    await append(bare_services, 2)
    before = await chain_state(bare_services)
    head_before = await head(bare_services)

    async def refused_request() -> None:
        async with transaction(bare_services.sessions) as session:
            await record(session, action="test.refused", actor_id=None, target=None, ctx=None)
            raise Refused

    with pytest.raises(Refused):
        await refused_request()
    assert await chain_state(bare_services) == before
    assert before[2] == 0
    assert await head(bare_services) == head_before
    assert await chained_targets(bare_services, "test.refused") == []


async def commit_without_chaining(services: Runtime, *targets: str) -> None:
    """What a process leaves when it dies between its commit and its sequencer run."""
    async with services.sessions() as session:  # no transaction() scope: no run follows
        for target in targets:
            await record(session, action="test.orphan", actor_id=None, target=target, ctx=None)
        await session.commit()


async def orphans_committed(services: Runtime) -> tuple[int, str]:
    await append(services, 3)
    head_before = await head(services)
    await commit_without_chaining(services, "orphan:1", "orphan:2")
    _report, _ids, pending = await chain_state(services)
    assert pending == 2
    assert await head(services) == head_before  # committed, not chained
    return head_before


async def assert_orphans_chained(services: Runtime, head_before: tuple[int, str]) -> None:
    report, ids, pending = await chain_state(services)
    assert pending == 0
    assert report.valid
    assert ids == list(range(1, report.entries + 1))
    async with services.read_sessions() as session:
        query = (
            select(AuditEvent.id, AuditEvent.target)
            .where(AuditEvent.action == "test.orphan")
            .order_by(AuditEvent.id)
        )
        orphans = [tuple(row) for row in await session.execute(query)]
    # In the order they were recorded, right after the chain as it stood.
    first = head_before[0] + 1
    assert orphans == [(first, "orphan:1"), (first + 1, "orphan:2")]


async def test_leftovers_are_chained_by_the_next_write(bare_services: Runtime) -> None:
    head_before = await orphans_committed(bare_services)
    await append(bare_services, 1)
    await assert_orphans_chained(bare_services, head_before)


async def test_leftovers_are_chained_at_start_up(bare_services: Runtime) -> None:
    head_before = await orphans_committed(bare_services)
    async with running_app(bare_services.settings):
        pass
    await assert_orphans_chained(bare_services, head_before)


def test_audit_verify_chains_leftovers_and_says_so(settings: Settings) -> None:
    async def leave_orphans() -> None:
        services = build_runtime(settings)
        try:
            await orphans_committed(services)
        finally:
            await services.close()

    asyncio.run(leave_orphans())
    result = CliRunner().invoke(cli, ["audit", "verify"], env=cli_env(settings))
    assert result.exit_code == 0, result.output
    assert "chained 2 recorded events that were waiting in the inbox\n" in result.output
    assert "audit chain intact: 5 entries\n" in result.output


async def test_a_backlog_larger_than_a_batch_is_chained_in_order(bare_services: Runtime) -> None:
    targets = [f"backlog:{n}" for n in range(BATCH + 7)]
    await commit_without_chaining(bare_services, *targets)
    assert await chain_pending(bare_services.engine) == len(targets)
    assert await chain_pending(bare_services.engine) == 0  # nothing left, nothing doubled
    report, _ids, pending = await chain_state(bare_services)
    assert (report.valid, report.entries, pending) == (True, len(targets), 0)
    async with bare_services.read_sessions() as session:
        chained = list(await session.scalars(select(AuditEvent.target).order_by(AuditEvent.id)))
    assert chained == targets


async def test_a_session_without_a_scope_still_records(bare_services: Runtime) -> None:
    # The event is written with the transaction that owns it; only the chaining waits.
    await commit_without_chaining(bare_services, f"bare:{uuid.uuid4()}")
    assert (await chain_state(bare_services))[2] == 1
    assert await chain_pending(bare_services.engine) == 1


async def test_waiters_share_one_run(
    bare_services: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[int] = []
    original = sequencer._chain_all

    async def counted(conn: AsyncConnection, engine: AsyncEngine, claim: Claim) -> int:
        runs.append(chained := await original(conn, engine, claim))
        return chained

    monkeypatch.setattr(sequencer, "_chain_all", counted)
    await commit_without_chaining(bare_services, *(f"shared:{n}" for n in range(10)))
    engine = bare_services.engine
    # Ten requests ask at once: one run chains everything for all of them.
    await asyncio.gather(*(sequencer_for(engine).chain_committed(engine) for _ in range(10)))
    assert runs == [10]
    assert (await chain_state(bare_services))[2] == 0


async def test_a_failed_run_leaves_its_events_to_the_next(
    bare_services: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    await append(bare_services, 2)
    head_before = await head(bare_services)
    original = sequencer._chain_batch

    async def unavailable(conn: AsyncConnection, engine: AsyncEngine, claim: Claim) -> int:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(sequencer, "_chain_batch", unavailable)
    # The action committed: its scope logs the failed run and does not raise.
    async with transaction(bare_services.sessions) as session:
        await record(session, action="test.kept", actor_id=None, target="kept", ctx=None)
    assert (await chain_state(bare_services))[2] == 1
    assert await head(bare_services) == head_before
    monkeypatch.setattr(sequencer, "_chain_batch", original)
    await append(bare_services, 1)
    report, ids, pending = await chain_state(bare_services)
    assert (report.valid, pending) == (True, 0)
    assert ids == [1, 2, 3, 4]
    assert await chained_targets(bare_services, "test.kept") == ["kept"]


async def test_a_run_failing_midway_takes_nothing_out_of_the_inbox(
    bare_services: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run fails after it took the rows out of the inbox: its transaction rolls back,
    the head lock is released and the connection is not left inside it."""
    await append(bare_services, 2)
    head_before = await head(bare_services)
    await commit_without_chaining(bare_services, "midway:1", "midway:2")
    original = sequencer._links

    def failing(*args: object) -> object:
        raise RuntimeError("the hash could not be computed")

    monkeypatch.setattr(sequencer, "_links", failing)
    with pytest.raises(RuntimeError):
        await chain_pending(bare_services.engine)
    assert (await chain_state(bare_services))[2] == 2
    assert await head(bare_services) == head_before
    monkeypatch.setattr(sequencer, "_links", original)
    assert await chain_pending(bare_services.engine) == 2
    report, ids, pending = await chain_state(bare_services)
    assert (report.valid, pending, ids) == (True, 0, [1, 2, 3, 4])


async def test_who_asks_before_a_run_reads_the_inbox_joins_it(
    bare_services: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request whose event committed after a run started, but before the run read the
    inbox, is served by that run instead of waiting for another."""
    engine = bare_services.engine
    runs: list[int] = []
    late: list[asyncio.Future[None]] = []
    chain_all, chain_batch = sequencer._chain_all, sequencer._chain_batch

    async def counted(conn: AsyncConnection, engine: AsyncEngine, claim: Claim) -> int:
        runs.append(chained := await chain_all(conn, engine, claim))
        return chained

    async def a_request_arrives_first(
        conn: AsyncConnection, engine: AsyncEngine, claim: Claim
    ) -> int:
        if not late:  # the run has started; it has not read the inbox yet
            await commit_without_chaining(bare_services, "late")
            late.append(asyncio.ensure_future(sequencer_for(engine).chain_committed(engine)))
            await asyncio.sleep(0)  # the late request is waiting now
        return await chain_batch(conn, engine, claim)

    monkeypatch.setattr(sequencer, "_chain_all", counted)
    monkeypatch.setattr(sequencer, "_chain_batch", a_request_arrives_first)
    await commit_without_chaining(bare_services, "early")
    await sequencer_for(engine).chain_committed(engine)
    await late[0]
    assert runs == [2]  # one run for both, no second one for the late request
    assert sorted(await chained_targets(bare_services, "test.orphan")) == ["early", "late"]
