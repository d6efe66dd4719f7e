"""Recording audit events, inside the caller's transaction.

``write_with_event`` is the same for the hot write path (``db.fast_write``): the event's
inbox row is one more INSERT of the writes' one transaction, and the sequencer is
awaited once it has committed.

``record`` writes the event into the inbox inside the caller's transaction, so an
action and its audit event commit or roll back together; it takes no shared lock, so
concurrent writers do not queue behind each other's commits. Once the transaction has
committed, the ``transaction()`` scope awaits the sequencer, which chains the event
(:mod:`faceless.db.audit.sequencer`, ADR 0022): it is in the chain before the request
answers. Failure events that must survive a refused request are recorded by the
endpoint in a transaction of its own.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import uuid
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from faceless.context import RequestContext
from faceless.db.audit import repository
from faceless.db.audit.sequencer import sequencer_for
from faceless.db.base import utcnow
from faceless.db.fast_write import Write, write_all
from faceless.db.session import after_commit

logger = logging.getLogger(__name__)

Outcome = Literal["success", "failure", "denied"]

_CHAINING = "faceless.audit.chaining"


async def record(
    session: AsyncSession,
    *,
    action: str,
    outcome: Outcome = "success",
    actor_id: uuid.UUID | None,
    target: str | None,
    ctx: RequestContext | None,
) -> None:
    await repository.insert_pending(session, event_values(action, outcome, actor_id, target, ctx))
    _chain_after_commit(session)


async def write_with_event(
    engine: AsyncEngine, writes: Sequence[Write], event: Mapping[str, Any]
) -> None:
    """Commit ``writes`` and their ``event`` (``event_values``) in one transaction, then
    chain the event.

    Returns once the event is in the chain, like a ``transaction()`` scope's request. A
    failed sequencer run is logged, never raised: the writes did commit, and the event
    waits in the inbox for the next run.
    """
    await write_all(engine, [*writes, repository.pending_write(event)])
    try:
        await sequencer_for(engine).chain_committed(engine)
    except Exception:
        logger.warning("an after-commit action failed", exc_info=True)


def event_values(
    action: str,
    outcome: Outcome,
    actor_id: uuid.UUID | None,
    target: str | None,
    ctx: RequestContext | None,
) -> dict[str, Any]:
    return {
        "at": utcnow(),
        "actor_id": actor_id,
        "actor_ip": ctx.client_ip if ctx else None,
        "action": action,
        "target": target[:200] if target else target,
        "outcome": outcome,
        "request_id": ctx.request_id if ctx else None,
    }


def _chain_after_commit(session: AsyncSession) -> None:
    """Have the scope chain this transaction's events once it has committed (once)."""
    if session.info.get(_CHAINING):
        return
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        raise TypeError("audit events need a session bound to one engine")
    session.info[_CHAINING] = True
    sequencer = sequencer_for(engine)
    # Outside a transaction() scope (a test's bare session) there is no after-commit
    # hook: the event is chained by the next sequencer run of any process, or at start-up.
    with contextlib.suppress(RuntimeError):
        after_commit(session, functools.partial(sequencer.chain_committed, engine))
