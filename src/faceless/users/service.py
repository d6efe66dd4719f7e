"""Account management: creation, role changes, disabling, password changes.

Disabling an account stops everything it set going: its sessions, its pending
schedules and its queued and running jobs (workers and the scheduler also refuse a
disabled owner's work, should any be left). At least one enabled administrator
always remains, however many changes race (see ``repository.lock_enabled_admins``).
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from faceless.auth.principal import Principal
from faceless.auth.revocation import principals_changed, revoke_sessions
from faceless.auth.service import AuthFailure, AuthRuntime, reauthenticate
from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.errors import conflict, not_found, unprocessable
from faceless.jobs.service import cancel_jobs_of
from faceless.models import Role, User
from faceless.schedule.service import cancel_schedules_of
from faceless.security.passwords import PasswordHashing, password_problems
from faceless.users import repository
from faceless.users.schemas import UserCreate, UserUpdate
from faceless.worker.queue import JobQueue

BOOTSTRAP_ADMIN = "admin"


def _check_password(password: str, username: str, field: str) -> None:
    problems = password_problems(password, username=username)
    if problems:
        raise unprocessable("Password " + "; ".join(problems) + ".", loc=("body", field))


async def create_user(
    session: AsyncSession,
    passwords: PasswordHashing,
    *,
    data: UserCreate,
    actor: Principal | None,
    ctx: RequestContext | None,
) -> User:
    username = data.username.lower()
    _check_password(data.password, username, "password")
    if await repository.get_by_username(session, username):
        raise conflict("That username is taken.")
    email = data.email.lower() if data.email else None
    if email and await repository.email_taken(session, email):
        raise conflict("That e-mail address is already in use.")
    user = User(
        id=uuid.uuid4(),
        username=username,
        email=email,
        role=data.role,
        disabled=False,
        password_hash=await passwords.hash(data.password),
    )
    try:
        async with session.begin_nested():
            await repository.add(session, user)
    except IntegrityError:
        raise conflict("That username or e-mail address is already in use.") from None
    await record(
        session,
        action="user.create",
        actor_id=actor.id if actor else None,
        target=f"user:{user.id}",
        ctx=ctx,
    )
    return user


async def update_user(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    data: UserUpdate,
    actor: Principal,
    queue: JobQueue,
    ctx: RequestContext,
) -> User:
    removes_admin = (data.role is not None and data.role != Role.ADMIN) or data.disabled is True
    # Locked before the user is read: concurrent demotions queue here (see the repository).
    admins = await repository.lock_enabled_admins(session) if removes_admin else []
    user = await repository.get_by_id(session, user_id)
    if user is None:
        raise not_found("user")
    if user.id == actor.id and removes_admin:
        raise conflict("An administrator cannot demote or disable their own account.")
    if user.id in admins and len(admins) == 1:
        raise conflict("At least one enabled administrator must remain.")
    if data.role is not None:
        user.role = data.role
    disabling = data.disabled is True and not user.disabled
    if data.disabled is not None:
        user.disabled = data.disabled
    await session.flush()
    # A new role (or a re-enabled account) holds from the user's next request on.
    principals_changed(session)
    if disabling:
        await _stop_everything_of(session, user=user, actor=actor, queue=queue, ctx=ctx)
    await record(
        session, action="user.update", actor_id=actor.id, target=f"user:{user.id}", ctx=ctx
    )
    return user


async def _stop_everything_of(
    session: AsyncSession, *, user: User, actor: Principal, queue: JobQueue, ctx: RequestContext
) -> None:
    """A disabled account signs out and stops: sessions, schedules, queued and running jobs.

    Schedules first: on PostgreSQL their row locks wait for a scheduler's claim in
    flight, so the jobs statement after them sees the publish job it created.
    """
    await revoke_sessions(session, user_id=user.id, now=utcnow(), reason="disabled")
    await cancel_schedules_of(session, owner_id=user.id, actor=actor, ctx=ctx)
    await cancel_jobs_of(session, owner_id=user.id, actor=actor, queue=queue, ctx=ctx)


async def change_password(
    runtime: AuthRuntime,
    *,
    principal: Principal,
    current_password: str,
    new_password: str,
    ctx: RequestContext,
) -> AuthFailure | None:
    """Change the caller's password; a wrong current one is an :class:`AuthFailure`.

    Runs its own transactions: the re-authentication's bookkeeping (the lockout count,
    the audited failure) must commit although the request is refused.
    """
    # Checked first: a request that would be refused anyway is no guess at the password.
    _check_password(new_password, principal.user.username, "new_password")
    refused = await reauthenticate(
        runtime,
        user=principal.user,
        password=current_password,
        action="user.password_change",
        ctx=ctx,
    )
    if refused:
        return refused
    new_hash = await runtime.passwords.hash(new_password)
    async with transaction(runtime.sessions) as session:
        # Reload in this (writing) session: the principal was loaded by a read-only one.
        user = await repository.get_by_id(session, principal.id)
        if user is None:
            raise not_found("user")
        user.password_hash = new_hash
        # The calling session survives; every other session is signed out.
        await revoke_sessions(
            session,
            user_id=user.id,
            keep=principal.session_id,
            now=utcnow(),
            reason="password_change",
        )
        await session.flush()
        await record(
            session,
            action="user.password_change",
            actor_id=user.id,
            target=f"user:{user.id}",
            ctx=ctx,
        )
    return None


async def list_users(
    session: AsyncSession, *, limit: int, offset: int
) -> tuple[Sequence[User], int]:
    return (
        await repository.list_users(session, limit=limit, offset=offset),
        await repository.count_users(session),
    )


async def bootstrap_admin(session: AsyncSession, passwords: PasswordHashing) -> str | None:
    """Create the first-run ``admin`` when there are no users; returns its password once."""
    if await repository.count_users(session):
        return None
    password = secrets.token_urlsafe(18)
    await create_user(
        session,
        passwords,
        data=UserCreate(username=BOOTSTRAP_ADMIN, password=password, role=Role.ADMIN),
        actor=None,
        ctx=None,
    )
    return password
