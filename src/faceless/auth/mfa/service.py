"""TOTP multi-factor sign-in: enrollment, the second sign-in step, disabling.

Every check of a password or a code here goes through the sign-in lockout
(``auth.service.claim_attempt``): the attempt is counted before anything is checked,
in a transaction of its own, so concurrent guesses see each other; a refusal's
bookkeeping (the audited failure, the count) commits although the client is refused;
and only a right second factor resets the count. The management endpoints answer a
wrong password or code with a 400, the second sign-in step with a 401, and the guess
that locks the account with the 423 itself, ending every mfa token of the user.

A code is accepted once: the step it belongs to is recorded by a conditional UPDATE
(``repository.accept_step``), and a recovery code is spent the same way. The mfa token
is spent with the sign-in it completes (``repository.spend_generation``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from faceless.auth import repository as auth_repository
from faceless.auth.mfa import codes, repository
from faceless.auth.principal import Principal
from faceless.auth.schemas import TokenResponse
from faceless.auth.service import (
    AuthFailure,
    AuthRuntime,
    claim_attempt,
    reauthenticate,
    start_session,
)
from faceless.context import RequestContext
from faceless.db.audit.writer import record
from faceless.db.base import utcnow
from faceless.db.session import transaction
from faceless.errors import ProblemError, conflict
from faceless.metrics.instruments import LOGIN_FAILURES
from faceless.models import TotpCredential, User
from faceless.security.tokens import InvalidTokenError

WRONG_CODE = "The code is not correct."
NOT_ACCEPTED = "The password or the code is not correct."
MFA_TOKEN_INVALID = "The sign-in attempt is invalid or has ended; sign in again."  # noqa: S105
LOCKED = "Too many failed sign-ins; try again later."


@dataclass(frozen=True, slots=True)
class Enrollment:
    secret: str
    otpauth_uri: str


def _unauthorized(detail: str) -> ProblemError:
    return ProblemError(401, detail, headers={"WWW-Authenticate": "Bearer"})


async def _credential(runtime: AuthRuntime, user: User) -> TotpCredential | None:
    async with transaction(runtime.sessions) as session:
        return await repository.get_totp(session, user.id)


async def _claim(
    runtime: AuthRuntime, user: User, action: str, ctx: RequestContext
) -> AuthFailure | None:
    async with transaction(runtime.sessions) as session:
        return await claim_attempt(
            session, user.username, ctx, action=action, actor_id=user.id, target=f"user:{user.id}"
        )


async def _failed(session: AsyncSession, user: User, action: str, ctx: RequestContext) -> None:
    await record(
        session,
        action=action,
        outcome="failure",
        actor_id=user.id,
        target=f"user:{user.id}",
        ctx=ctx,
    )
    LOGIN_FAILURES.labels("invalid_code").inc()


async def start_enrollment(
    runtime: AuthRuntime, *, principal: Principal, password: str, ctx: RequestContext
) -> Enrollment | AuthFailure:
    """A new secret, pending until a code from it is confirmed; needs the password."""
    user = principal.user
    current = await _credential(runtime, user)
    if current is not None and current.enabled_at is not None:
        raise conflict("Multi-factor sign-in is already active; disable it first.")
    refused = await reauthenticate(
        runtime, user=user, password=password, action="auth.mfa_enabled", ctx=ctx
    )
    if refused:
        return refused
    secret = codes.new_secret()
    async with transaction(runtime.sessions) as session:
        if not await repository.set_pending_secret(session, user.id, secret):
            raise conflict("Another enrollment started meanwhile; start it again.")
    return Enrollment(secret=secret, otpauth_uri=codes.otpauth_uri(secret, user.username))


async def confirm_enrollment(
    runtime: AuthRuntime, *, principal: Principal, code: str, ctx: RequestContext
) -> list[str] | AuthFailure:
    """Activate MFA with a first code from the pending secret; answers the recovery codes."""
    user = principal.user
    current = await _credential(runtime, user)
    if current is None or current.enabled_at is not None or current.pending_secret is None:
        raise conflict("No enrollment is pending: start one with POST /auth/mfa/totp.")
    refused = await _claim(runtime, user, "auth.mfa_enabled", ctx)
    if refused:
        return refused
    step = codes.matching_step(current.pending_secret, code, runtime.clock())
    recovery = codes.new_recovery_codes()
    async with transaction(runtime.sessions) as session:
        if step is None:
            await _failed(session, user, "auth.mfa_enabled", ctx)
            return AuthFailure(ProblemError(400, WRONG_CODE))
        now = utcnow()
        if not await repository.confirm_totp(
            session,
            user.id,
            generation=current.generation,
            secret=current.pending_secret,
            step=step,
            now=now,
        ):
            raise conflict("The enrollment changed meanwhile; start it again.")
        hashes = [
            codes.recovery_code_hash(codes.normalise_recovery_code(c) or "") for c in recovery
        ]
        await repository.replace_recovery_codes(session, user.id, hashes, now)
        await auth_repository.clear_throttle(session, user.username)
        await record(
            session, action="auth.mfa_enabled", actor_id=user.id, target=f"user:{user.id}", ctx=ctx
        )
    return recovery


async def _second_factor(
    session: AsyncSession, runtime: AuthRuntime, credential: TotpCredential, code: str
) -> bool:
    """Accept ``code`` (a TOTP code or a recovery code) once, or refuse it."""
    if codes.is_totp_code(code):
        if credential.secret is None:
            return False
        step = codes.matching_step(credential.secret, code, runtime.clock())
        return step is not None and await repository.accept_step(session, credential.user_id, step)
    normalised = codes.normalise_recovery_code(code)
    if normalised is None:
        return False
    return await repository.use_recovery_code(
        session, credential.user_id, codes.recovery_code_hash(normalised), utcnow()
    )


async def disable(
    runtime: AuthRuntime, *, principal: Principal, password: str, code: str, ctx: RequestContext
) -> AuthFailure | None:
    """Turn MFA off with the password and a code (a recovery code will do)."""
    user = principal.user
    current = await _credential(runtime, user)
    if current is None or current.enabled_at is None:
        raise conflict("Multi-factor sign-in is not active.")
    refused = await _claim(runtime, user, "auth.mfa_disabled", ctx)
    if refused:
        return refused
    password_ok = await runtime.passwords.verify(user.password_hash, password)
    async with transaction(runtime.sessions) as session:
        if not (password_ok and await _second_factor(session, runtime, current, code)):
            await _failed(session, user, "auth.mfa_disabled", ctx)
            return AuthFailure(ProblemError(400, NOT_ACCEPTED))
        await repository.disable_totp(session, user.id)
        await auth_repository.clear_throttle(session, user.username)
        await record(
            session, action="auth.mfa_disabled", actor_id=user.id, target=f"user:{user.id}", ctx=ctx
        )
    return None


async def complete_login(
    runtime: AuthRuntime, *, mfa_token: str, code: str, ctx: RequestContext
) -> TokenResponse | AuthFailure:
    """The second sign-in step: the mfa token and a code open the session."""
    try:
        claims = runtime.tokens.decode_mfa(mfa_token)
    except InvalidTokenError:
        return AuthFailure(_unauthorized(MFA_TOKEN_INVALID))
    async with transaction(runtime.sessions) as session:
        found = await repository.user_with_totp(session, claims.user_id)
    if found is None:
        return AuthFailure(_unauthorized(MFA_TOKEN_INVALID))
    user, credential = found
    if user.disabled or credential.enabled_at is None or credential.generation != claims.generation:
        return AuthFailure(_unauthorized(MFA_TOKEN_INVALID))
    async with transaction(runtime.sessions) as session:
        refused = await claim_attempt(
            session, user.username, ctx, actor_id=user.id, target=f"user:{user.id}"
        )
    if refused:
        await _end_mfa_tokens(runtime, user)
        return refused
    async with transaction(runtime.sessions) as session:
        accepted = await _second_factor(session, runtime, credential, code)
        if not accepted:
            failure = await _wrong_login_code(session, user, ctx)
        elif not await repository.spend_generation(session, user.id, claims.generation):
            # Another request completed (or ended) this sign-in meanwhile: undo ours.
            raise _unauthorized(MFA_TOKEN_INVALID)
        else:
            await auth_repository.clear_throttle(session, user.username)
            tokens = await start_session(session, runtime, user, utcnow(), ctx=ctx)
            await record(
                session, action="auth.login", actor_id=user.id, target=f"user:{user.id}", ctx=ctx
            )
            return tokens
    if failure.problem.status == 423:
        await _end_mfa_tokens(runtime, user)
    return failure


async def _end_mfa_tokens(runtime: AuthRuntime, user: User) -> None:
    """In a transaction of its own, after the lockout's: the row locks of one transaction
    are always taken in one order (credential, throttle, audit head), or two sign-ins of
    one user could deadlock on PostgreSQL."""
    async with transaction(runtime.sessions) as session:
        await repository.end_mfa_tokens(session, user.id)


async def _wrong_login_code(session: AsyncSession, user: User, ctx: RequestContext) -> AuthFailure:
    """401, or the 423 itself when this guess locked the account (its mfa tokens end)."""
    # The throttle row before the audit head (``record``), as the sign-in does.
    throttle = await auth_repository.lock_throttle(session, user.username)
    await _failed(session, user, "auth.mfa_failed", ctx)
    now = utcnow()
    if throttle.locked_until is None or throttle.locked_until <= now:
        return AuthFailure(_unauthorized(WRONG_CODE))
    retry_after = max(1, int((throttle.locked_until - now).total_seconds() + 0.999))
    return AuthFailure(ProblemError(423, LOCKED, headers={"Retry-After": str(retry_after)}))
