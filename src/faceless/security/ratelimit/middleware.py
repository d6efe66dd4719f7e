"""The rate-limit layer: checks every budget a request falls under, answers 429 eagerly.

Headers describe the most restrictive budget (lowest remaining, after this hit):
``X-RateLimit-*`` and the IETF ``RateLimit-Policy`` / ``RateLimit`` fields; a 429
adds ``Retry-After``. If the storage is down the tier's fail mode decides:
fail-closed tiers (login, refresh) answer 503 with ``Retry-After``, the others let
the request through; both are logged and counted, neither is ever a 500. A refusal of
a request that announced a body closes the connection instead of draining it.
"""

from __future__ import annotations

import math
import time

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from faceless.metrics.instruments import (
    RATE_LIMIT_STORAGE_ERRORS,
    RATE_LIMITED,
    declare_rate_limit_tiers,
)
from faceless.problems import problem_response
from faceless.security import request_state
from faceless.security.api_tokens import TokenOwners
from faceless.security.body_rules import CLOSE_UNREAD, announces_body
from faceless.security.ratelimit.identity import (
    api_token_user_key,
    client_key,
    user_key,
    verified_claims,
)
from faceless.security.ratelimit.rules import DEFAULT_RATES, RateLimitRules, Tier
from faceless.security.ratelimit.storage import (
    Bucket,
    BucketState,
    RateLimitStorage,
    StorageUnavailableError,
    retry_after_seconds,
)
from faceless.security.request_state import client_ip
from faceless.security.tokens import TokenCodec

logger = structlog.stdlib.get_logger("faceless.ratelimit")


def _headers(tier: Tier, state: BucketState, now: float) -> list[tuple[bytes, bytes]]:
    reset_in = max(0, math.ceil(state.reset_at - now))
    limit, policy, name = _TIER_HEADERS[tier]
    return [
        (b"x-ratelimit-limit", limit),
        (b"x-ratelimit-remaining", b"%d" % state.remaining),
        (b"x-ratelimit-reset", b"%d" % math.ceil(state.reset_at)),
        (b"ratelimit-policy", policy),
        (b"ratelimit", b'"%s";r=%d;t=%d' % (name, state.remaining, reset_in)),
    ]


class _TierHeaders(dict[Tier, tuple[bytes, bytes, bytes]]):
    """Each tier's fixed header values, encoded once."""

    def __missing__(self, tier: Tier) -> tuple[bytes, bytes, bytes]:
        values = (str(tier.limit).encode(), tier.policy_header.encode(), tier.name.encode())
        self[tier] = values
        return values


_TIER_HEADERS = _TierHeaders()


def _closing(scope: Scope) -> dict[str, str]:
    return CLOSE_UNREAD if announces_body(scope["headers"]) else {}


class RateLimitMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        rules: RateLimitRules,
        storage: RateLimitStorage,
        codec: TokenCodec,
        api_tokens: TokenOwners | None = None,
    ) -> None:
        self.app = app
        self.rules = rules
        self.storage = storage
        self.codec = codec
        self.api_tokens = api_tokens
        declare_rate_limit_tiers(list(DEFAULT_RATES))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tier = self.rules.tier_for(scope["method"], scope["path"])
        if tier is None:
            await self.app(scope, receive, send)
            return
        authorization = next((v for k, v in scope["headers"] if k == b"authorization"), None)
        keys = [client_key(client_ip(scope))]
        user = user_key(verified_claims(authorization, self.codec, scope))
        if user is None and self.api_tokens is not None:
            user = api_token_user_key(authorization, self.api_tokens)
        if user:
            keys.append(user)
        buckets = tuple(
            Bucket(f"{tier.name}:{key}", tier.limit, tier.window_seconds) for key in keys
        )
        now = time.time()
        try:
            decision = await self.storage.hit(buckets, now)
        except StorageUnavailableError as exc:
            mode = "open" if tier.fail_open else "closed"
            RATE_LIMIT_STORAGE_ERRORS.labels(tier.name, mode).inc()
            logger.warning(
                "rate limit storage unavailable", tier=tier.name, mode=mode, error=str(exc)
            )
            if tier.fail_open:
                await self.app(scope, receive, send)
                return
            await problem_response(
                503,
                "Temporarily unable to accept this request; retry shortly.",
                request_id=request_state.request_id(scope),
                headers={"Retry-After": "5", **_closing(scope)},
            )(scope, receive, send)
            return
        if decision.principal_generation is not None:
            request_state.set_principal_generation(scope, decision.principal_generation)
        strictest = min(decision.states, key=lambda s: (s.remaining, -s.reset_at))
        headers = _headers(tier, strictest, now)
        if not decision.allowed:
            retry_after = retry_after_seconds(strictest, now)
            RATE_LIMITED.labels(tier.name).inc()
            response = problem_response(
                429,
                "Too many requests; slow down.",
                request_id=request_state.request_id(scope),
                headers={k.decode(): v.decode() for k, v in headers}
                | {"Retry-After": str(retry_after), **_closing(scope)},
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)
