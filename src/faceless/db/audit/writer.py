"""Recording audit events, inside the caller's transaction.

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
import uuid
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from faceless.context import RequestContext
from faceless.db.audit import repository
from faceless.db.audit.sequencer import sequencer_for
from faceless.db.base import utcnow
from faceless.db.session import after_commit

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
    await repository.insert_pending(
        session,
        {
            "at": utcnow(),
            "actor_id": actor_id,
            "actor_ip": ctx.client_ip if ctx else None,
            "action": action,
            "target": target[:200] if target else target,
            "outcome": outcome,
            "request_id": ctx.request_id if ctx else None,
        },
    )
    _chain_after_commit(session)


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
