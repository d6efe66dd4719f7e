"""One publish attempt and what its outcome does to the schedule and the account.

* YouTube's daily quota is reserved before the first request; a schedule that does not
  fit today is **deferred** to the next reset (midnight America/Los_Angeles), not failed.
* ``quotaExceeded`` from Google defers the same way (and counts the day as spent); a
  rate limit that outlasts the retries defers by a pause. A deferred schedule is handed
  back to the schedulers with ``not_before`` and a ``detail`` saying why; this job ends
  ``failed`` with the same words, and a later claim makes a new one.
* Refused credentials (``invalid_grant``) mark the account unusable (readiness and
  ``faceless publisher check`` report it) and fail the schedule; credentials that work
  clear the mark.
* Anything else a publisher raises fails the schedule with its message.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime

from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.publishing import quota
from faceless.publishing import repository as publishing_repository
from faceless.publishing.base import (
    CredentialsRefusedError,
    PublishDeferredError,
    Publisher,
    PublishError,
    PublishPackage,
    PublishReceipt,
)
from faceless.publishing.youtube import YouTubePublisher
from faceless.schedule import repository
from faceless.worker.cancellation import JobError
from faceless.worker.handlers import JobContext

logger = logging.getLogger(__name__)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


async def publish_package(
    ctx: JobContext, job_id: uuid.UUID, publisher: Publisher, package: PublishPackage
) -> PublishReceipt:
    youtube = publisher if isinstance(publisher, YouTubePublisher) else None
    if youtube is None:
        try:
            return await publisher.publish(package)
        except PublishError as exc:
            raise JobError(str(exc)) from exc
    return await _publish_to_youtube(ctx, job_id, youtube, package)


async def _publish_to_youtube(
    ctx: JobContext, job_id: uuid.UUID, youtube: YouTubePublisher, package: PublishPackage
) -> PublishReceipt:
    now = utcnow()
    units = quota.cost(package)
    budget = ctx.settings.youtube.daily_quota_units
    if units > budget:
        raise JobError(
            f"This upload needs {units} YouTube quota units, more than the daily budget of "
            f"{budget} (YOUTUBE_DAILY_QUOTA_UNITS)."
        )
    async with transaction(ctx.sessions) as session:
        fits = await quota.reserve(
            session, account=youtube.account, units=units, budget=budget, now=now
        )
    if not fits:
        reset = quota.next_reset(now)
        await _defer(
            ctx,
            job_id,
            reset,
            f"Waiting for YouTube's daily quota: this upload needs {units} units and the "
            f"account's budget of {budget} for today is spent; it will be published after "
            f"the reset at {_when(reset)}.",
        )
    try:
        receipt = await youtube.publish(package)
    except PublishDeferredError as exc:
        await _settle_quota(ctx, youtube, exc, units=units, budget=budget, now=now)
        await _defer(ctx, job_id, exc.not_before, f"{exc} Trying again at {_when(exc.not_before)}.")
    except CredentialsRefusedError as exc:
        await _refused(ctx, youtube.account, units=units, now=now, detail=str(exc))
        raise JobError(
            f"{exc} Store working credentials (faceless publisher set-credentials) and schedule "
            "the video again."
        ) from exc
    except PublishError as exc:
        raise JobError(str(exc)) from exc
    async with transaction(ctx.sessions) as session:
        await publishing_repository.set_status(
            session, "youtube", youtube.account, invalid_at=None, detail=None
        )
    return receipt


async def _defer(ctx: JobContext, job_id: uuid.UUID, until: datetime, detail: str) -> None:
    async with transaction(ctx.sessions) as session:
        deferred = await repository.defer(session, job_id=job_id, not_before=until, detail=detail)
    if deferred:
        logger.info("publish job %s deferred until %s", job_id, until.isoformat())
    raise JobError(detail)


async def _settle_quota(
    ctx: JobContext,
    youtube: YouTubePublisher,
    exc: PublishDeferredError,
    *,
    units: int,
    budget: int,
    now: datetime,
) -> None:
    async with transaction(ctx.sessions) as session:
        if exc.quota_spent:
            await quota.spend_the_day(session, account=youtube.account, budget=budget, now=now)
        else:
            await quota.give_back(session, account=youtube.account, units=units, now=now)


async def _refused(
    ctx: JobContext, account: str, *, units: int, now: datetime, detail: str
) -> None:
    async with transaction(ctx.sessions) as session:
        await quota.give_back(session, account=account, units=units, now=now)
        await publishing_repository.set_status(
            session, "youtube", account, invalid_at=now, detail=detail
        )
    logger.warning("YouTube credentials of account %s were refused", account)
