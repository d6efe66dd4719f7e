"""Sign-in flows: login with progressive lockout, refresh rotation, logout.

Failure paths return a :class:`AuthFailure` instead of raising, because their
bookkeeping (lockout counters, reuse revocation, audit events) must commit even
though the client is refused; the caller commits, then raises. ``login`` runs its
own short transactions (see there), the other flows run in the caller's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from faceless.auth import repository, revocation
from faceless.auth.mfa import repository as mfa_repository
from faceless.auth.refresh_tokens import candidate_hashes, new_refresh_token, token_hash
from faceless.auth.schemas import MfaChallenge, TokenResponse
from faceless.context import RequestContext
from faceless.crypto.keys import Keyring
from faceless.db.audit.writer import record
from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.errors import ProblemError
from faceless.metrics.instruments import LOGIN_FAILURES, LOGIN_LOCKOUTS
from faceless.models import AuthSession, RefreshToken, User
from faceless.security.passwords import PasswordHashing
from faceless.security.tokens import TokenCodec
from faceless.settings import Settings
from faceless.users import repository as users_repository
from faceless.users.names import canonical_username


class AuthRuntime(Protocol):
    """What signing in needs from the process (the runtime container)."""

    @property
    def settings(self) -> Settings: ...

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def passwords(self) -> PasswordHashing: ...

    @property
    def signing_keys(self) -> Keyring: ...

    @property
    def tokens(self) -> TokenCodec: ...

    @property
    def clock(self) -> Callable[[], float]:
        """Wall-clock seconds since the epoch, what one-time codes are checked against."""
        ...


LOCKOUT_THRESHOLD = 5
LOCKOUT_BASE_SECONDS = 60
LOCKOUT_MAX_SECONDS = 15 * 60
INVALID_CREDENTIALS = "Invalid username or password."
MFA_TOKEN_SECONDS = 300


@dataclass(frozen=True, slots=True)
class AuthFailure:
    problem: ProblemError


def lockout_seconds(failures: int) -> int:
    if failures < LOCKOUT_THRESHOLD:
        return 0
    return int(min(LOCKOUT_BASE_SECONDS * 2 ** (failures - LOCKOUT_THRESHOLD), LOCKOUT_MAX_SECONDS))


def _unauthorized(detail: str) -> AuthFailure:
    return AuthFailure(ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"}))


async def login(
    runtime: AuthRuntime, *, username: str, password: str, ctx: RequestContext
) -> TokenResponse | MfaChallenge | AuthFailure:
    """Sign in, counting the attempt *before* the password is checked.

    Three short steps, so that neither a database lock nor a pooled connection is held
    while the hash is computed (the slow part, queued behind the hashing cap):

    1. claim the attempt: under the name's row lock, refuse if locked (423, the lock
       not extended), else count it as a failure and, if it is the one that reaches
       the threshold, start the lock now. Committed at once, so concurrent guesses
       see each other and N at once still get only the allowed number of tries;
    2. verify the password (a dummy hash for unknown names: same cost);
    3. on success reset the count and open a session; on failure only audit. For a user
       with MFA active the right password opens no session: it answers an mfa token and
       takes back this attempt's count without resetting the earlier ones (only the
       second factor does, see ``auth.mfa.service``), so re-entering a known password
       between guesses at the code buys no further guesses.

    A name no account can have skips the first step (no lock row is made for it).
    """
    name = canonical_username(username)
    if name is None:
        return await _refuse_malformed_name(runtime, username=username, password=password, ctx=ctx)
    async with transaction(runtime.sessions) as session:
        refused = await claim_attempt(session, name, ctx, target=f"user:{username}")
        user = None if refused else await users_repository.get_by_username(session, name)
    if refused:
        return refused
    ok = await runtime.passwords.verify(user.password_hash if user else None, password)
    async with transaction(runtime.sessions) as session:
        now = utcnow()
        if not ok or user is None or user.disabled:
            await record(
                session,
                action="auth.login_failed",
                outcome="failure",
                actor_id=user.id if user else None,
                target=f"user:{username}",
                ctx=ctx,
            )
            LOGIN_FAILURES.labels("invalid_credentials").inc()
            return _unauthorized(INVALID_CREDENTIALS)
        generation = await mfa_repository.active_generation(session, user.id)
        if generation is not None:
            await repository.release_attempt(session, name)
            return _mfa_challenge(runtime, user, generation, now)
        await repository.clear_throttle(session, name)
        tokens = await start_session(session, runtime, user, now, ctx=ctx)
        await record(
            session, action="auth.login", actor_id=user.id, target=f"user:{user.id}", ctx=ctx
        )
        return tokens


def _mfa_challenge(
    runtime: AuthRuntime, user: User, generation: int, now: datetime
) -> MfaChallenge:
    lifetime = timedelta(seconds=MFA_TOKEN_SECONDS)
    token = runtime.tokens.issue_mfa(
        user_id=user.id, generation=generation, now=now, lifetime=lifetime
    )
    return MfaChallenge(mfa_token=token, expires_in=MFA_TOKEN_SECONDS)


async def _refuse_malformed_name(
    runtime: AuthRuntime, *, username: str, password: str, ctx: RequestContext
) -> AuthFailure:
    """The generic 401, at the cost of checking a password, for a name that cannot exist."""
    await runtime.passwords.verify(None, password)
    # What was sent is attacker-chosen: escaped and cut to fit before it is recorded.
    shown = ascii(username[:64])[1:-1][:64]
    async with transaction(runtime.sessions) as session:
        await record(
            session,
            action="auth.login_failed",
            outcome="failure",
            actor_id=None,
            target=f"user:{shown}",
            ctx=ctx,
        )
    LOGIN_FAILURES.labels("invalid_credentials").inc()
    return _unauthorized(INVALID_CREDENTIALS)


async def claim_attempt(
    session: AsyncSession,
    name: str,
    ctx: RequestContext,
    *,
    action: str = "auth.locked",
    actor_id: uuid.UUID | None = None,
    target: str | None = None,
) -> AuthFailure | None:
    """Count an attempt as failed until it proves otherwise (a success clears the row).

    Refused while the name is locked: audited as ``action`` (denied), without checking
    the password and without extending the lock.
    """
    now = utcnow()
    throttle = await repository.lock_throttle(session, name)
    if throttle.locked_until and throttle.locked_until > now:
        retry_after = max(1, int((throttle.locked_until - now).total_seconds() + 0.999))
        await record(
            session,
            action=action,
            outcome="denied",
            actor_id=actor_id,
            target=target or f"user:{name}",
            ctx=ctx,
        )
        LOGIN_FAILURES.labels("locked").inc()
        return AuthFailure(
            ProblemError(
                423,
                "Too many failed sign-ins; try again later.",
                headers={"Retry-After": str(retry_after)},
            )
        )
    throttle.failures += 1
    throttle.last_failure_at = now
    seconds = lockout_seconds(throttle.failures)
    throttle.locked_until = now + timedelta(seconds=seconds) if seconds else None
    if seconds:
        LOGIN_LOCKOUTS.inc()
    await session.flush()
    return None


async def reauthenticate(
    runtime: AuthRuntime, *, user: User, password: str, action: str, ctx: RequestContext
) -> AuthFailure | None:
    """Check a signed-in user's password again before a sensitive change (``action``).

    The same lockout as login, so a stolen session cannot guess the password faster
    than the sign-in form allows: the attempt is counted first (423 while locked), a
    wrong password is audited as a failure of ``action`` in a transaction of its own
    (it survives the refused request) and answered 400; the right one clears the count,
    or, with MFA active, takes back only this attempt's (as at login).
    """
    target = f"user:{user.id}"
    async with transaction(runtime.sessions) as session:
        refused = await claim_attempt(
            session, user.username, ctx, action=action, actor_id=user.id, target=target
        )
    if refused:
        return refused
    ok = await runtime.passwords.verify(user.password_hash, password)
    async with transaction(runtime.sessions) as session:
        if not ok:
            await record(
                session, action=action, outcome="failure", actor_id=user.id, target=target, ctx=ctx
            )
            LOGIN_FAILURES.labels("reauthentication").inc()
            return AuthFailure(ProblemError(400, "The current password is not correct."))
        if await mfa_repository.active_generation(session, user.id) is None:
            await repository.clear_throttle(session, user.username)
        else:
            await repository.release_attempt(session, user.username)
    return None


async def start_session(
    session: AsyncSession,
    runtime: AuthRuntime,
    user: User,
    now: datetime,
    *,
    ctx: RequestContext | None = None,
) -> TokenResponse:
    lifetime = timedelta(seconds=runtime.settings.auth.refresh_token_seconds)
    auth_session = AuthSession(
        id=uuid.uuid4(),
        user_id=user.id,
        expires_at=now + lifetime,
        # Where the session signed in from, for its owner's session list.
        ip=ctx.client_ip[:45] if ctx and ctx.client_ip else None,
        user_agent=ctx.user_agent if ctx else None,
    )
    session.add(auth_session)
    return await _issue(session, runtime, user, auth_session, now)


async def _issue(
    session: AsyncSession,
    runtime: AuthRuntime,
    user: User,
    auth_session: AuthSession,
    now: datetime,
) -> TokenResponse:
    refresh = new_refresh_token()
    session.add(
        RefreshToken(
            session_id=auth_session.id,
            token_hash=token_hash(runtime.signing_keys, refresh),
            expires_at=auth_session.expires_at,
        )
    )
    await session.flush()
    access = runtime.tokens.issue(user_id=user.id, session_id=auth_session.id, now=now)
    return TokenResponse(
        access_token=access,
        refresh_token=refresh,
        expires_in=runtime.settings.auth.access_token_seconds,
    )


async def refresh(
    session: AsyncSession, runtime: AuthRuntime, *, token: str, ctx: RequestContext
) -> TokenResponse | AuthFailure:
    now = utcnow()
    found = await repository.find_refresh_token(
        session, candidate_hashes(runtime.signing_keys, token)
    )
    if found is None:
        return _unauthorized("The refresh token is invalid.")
    stored, auth_session, user = found
    if auth_session.revoked_at is not None or user.disabled or stored.expires_at <= now:
        return _unauthorized("The refresh token is invalid.")
    if stored.used_at is not None or not await repository.mark_refresh_used(
        session, stored.id, now
    ):
        # A spent token came back: someone holds a copy. Kill the whole family.
        await revocation.revoke_sessions(
            session, user_id=user.id, only=auth_session.id, now=now, reason="refresh_reuse"
        )
        await record(
            session,
            action="auth.refresh_reuse",
            outcome="denied",
            actor_id=user.id,
            target=f"session:{auth_session.id}",
            ctx=ctx,
        )
        return _unauthorized("The refresh token is invalid.")
    tokens = await _issue(session, runtime, user, auth_session, now)
    await record(
        session,
        action="auth.refresh",
        actor_id=user.id,
        target=f"session:{auth_session.id}",
        ctx=ctx,
    )
    return tokens


async def logout(
    session: AsyncSession,
    runtime: AuthRuntime,
    *,
    user: User,
    session_id: uuid.UUID,
    refresh_token: str | None,
    ctx: RequestContext,
) -> None:
    now = utcnow()
    await revocation.revoke_sessions(
        session, user_id=user.id, only=session_id, now=now, reason="logout"
    )
    if refresh_token:
        found = await repository.find_refresh_token(
            session, candidate_hashes(runtime.signing_keys, refresh_token)
        )
        if found and found[2].id == user.id:
            await revocation.revoke_sessions(
                session, user_id=user.id, only=found[1].id, now=now, reason="logout"
            )
    await record(
        session, action="auth.logout", actor_id=user.id, target=f"session:{session_id}", ctx=ctx
    )
