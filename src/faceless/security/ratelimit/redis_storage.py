"""Moving-window counters in Redis: one atomic Lua script per event-loop turn.

The script trims, counts and (if every bucket has room) records the hit for all
of a request's buckets in one step, so N API processes sharing one Redis never
let more than the limit through. Timeouts are short and explicit (about 1 s):
the middleware turns a slow or absent Redis into the tier's fail mode, never a 500.

Batching (issue 11: profiled under load, a Redis round trip through redis-py cost an
API request more CPU than the rest of its edge together). The hits that requests make
in one turn of the event loop are sent as one script call, which takes them in
arrival order, each exactly as the one-request script did: a request's buckets are
checked and recorded together, and a later request in the batch sees the earlier
ones' hits. The limits stay exact; a request waits at most one loop turn more.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

from faceless.security.ratelimit.storage import (
    Bucket,
    BucketState,
    Decision,
    StorageUnavailableError,
)

# KEYS: one sorted set per bucket, the requests' buckets one after another.
# ARGV: the principal generation's key ('' for none), the number of requests, then per
# request its member, its number of buckets and (limit, window_ms) per bucket.
# The clock is Redis's own, so API processes on machines with skewed clocks agree.
# Returns: redis now (ms), the principal generation ('' when unset), then per request
# its allowed flag and (count after, oldest score) per bucket. The generation rides
# along because every API request runs this script anyway (security.principal_generation).
_SCRIPT = """
local generation = ''
if ARGV[1] ~= '' then generation = redis.call('GET', ARGV[1]) or '0' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local result = {tostring(now), generation}
local arg = 3
local key = 0
for _ = 1, tonumber(ARGV[2]) do
  local member = ARGV[arg]
  local buckets = tonumber(ARGV[arg + 1])
  arg = arg + 2
  local allowed = 1
  local counts = {}
  for i = 1, buckets do
    local limit = tonumber(ARGV[arg + 2 * i - 2])
    local window = tonumber(ARGV[arg + 2 * i - 1])
    redis.call('ZREMRANGEBYSCORE', KEYS[key + i], '-inf', now - window)
    counts[i] = redis.call('ZCARD', KEYS[key + i])
    if counts[i] >= limit then allowed = 0 end
  end
  table.insert(result, allowed)
  for i = 1, buckets do
    local window = tonumber(ARGV[arg + 2 * i - 1])
    if allowed == 1 then
      redis.call('ZADD', KEYS[key + i], now, member)
      redis.call('PEXPIRE', KEYS[key + i], window)
      counts[i] = counts[i] + 1
    end
    local oldest = redis.call('ZRANGE', KEYS[key + i], 0, 0, 'WITHSCORES')[2] or now
    table.insert(result, counts[i])
    table.insert(result, tostring(oldest))
  end
  arg = arg + 2 * buckets
  key = key + buckets
end
return result
"""

# Bounded work per script call: a larger batch is sent as several calls.
MAX_BATCH = 128

_Pending = tuple[tuple[Bucket, ...], float, "asyncio.Future[Decision]"]


class RedisStorage:
    name = "redis"

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 1.0,
        prefix: str = "faceless:rl:",
        generation_key: str = "",
    ) -> None:
        # No retries: a retry multiplies the timeout, and the fail mode decides instead.
        self._redis = Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=30,
        )
        self._script = self._redis.register_script(_SCRIPT)
        self._prefix = prefix
        self._generation_key = generation_key
        self._member_prefix = secrets.token_hex(8) + ":"
        self._members = itertools.count()
        self._pending: list[_Pending] = []
        self._in_flight: set[asyncio.Future[None]] = set()

    async def hit(self, buckets: tuple[Bucket, ...], now: float) -> Decision:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Decision] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((buckets, now, future))
        return await future

    def _flush(self) -> None:
        pending, self._pending = self._pending, []
        task = asyncio.ensure_future(self._send_in_order(pending))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _send_in_order(self, pending: list[_Pending]) -> None:
        # One call after another, so the turn's requests are taken in arrival order.
        try:
            for start in range(0, len(pending), MAX_BATCH):
                await self._send(pending[start : start + MAX_BATCH])
        finally:
            for _, _, future in pending:  # after a failure, none of the rest waits forever
                if not future.done():
                    future.set_exception(StorageUnavailableError("not sent"))

    async def _send(self, batch: list[_Pending]) -> None:
        keys: list[str] = []
        args: list[str | int] = [self._generation_key, len(batch)]
        for buckets, _, _ in batch:
            # Unique across processes (a random prefix) and within one (a counter).
            args.extend((f"{self._member_prefix}{next(self._members)}", len(buckets)))
            for bucket in buckets:
                keys.append(self._prefix + bucket.key)
                args.extend((bucket.limit, bucket.window_seconds * 1000))
        try:
            raw = await self._script(keys=keys, args=args)
            decisions = _decisions(batch, raw)
        except BaseException as exc:
            # Redis down, slow or refusing: each request applies its tier's fail mode;
            # cancelled at shutdown: none of them waits forever.
            for _, _, future in batch:
                if not future.done():
                    future.set_exception(StorageUnavailableError(type(exc).__name__))
            if isinstance(exc, RedisError | OSError | TimeoutError):
                return
            raise
        for (_, _, future), decision in zip(batch, decisions, strict=True):
            if not future.done():  # a request cancelled meanwhile (its client went)
                future.set_result(decision)

    async def close(self) -> None:
        await self._redis.aclose()


def _decisions(batch: list[_Pending], raw: list[bytes]) -> list[Decision]:
    redis_now = float(raw[0]) / 1000
    generation = raw[1].decode() if raw[1] else None
    decisions = []
    at = 2
    for buckets, now, _ in batch:
        states = []
        for i, bucket in enumerate(buckets):
            count = int(raw[at + 1 + 2 * i])
            oldest = float(raw[at + 2 + 2 * i]) / 1000
            # Expressed on our clock: only the distance to the reset travels.
            reset_in = oldest + bucket.window_seconds - redis_now
            states.append(
                BucketState(remaining=max(bucket.limit - count, 0), reset_at=now + reset_in)
            )
        allowed = bool(int(raw[at]))
        decisions.append(Decision(allowed, tuple(states), principal_generation=generation))
        at += 1 + 2 * len(buckets)
    return decisions
