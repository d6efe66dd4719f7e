"""Moving-window counters in Redis: one atomic Lua script, one round trip per check.

The script trims, counts and (if every bucket has room) records the hit for all
of a request's buckets in one step, so N API processes sharing one Redis never
let more than the limit through. Timeouts are short and explicit (about 1 s):
the middleware turns a slow or absent Redis into the tier's fail mode, never a 500.
"""

from __future__ import annotations

import uuid

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

# KEYS: one sorted set per bucket. ARGV: the principal generation's key ('' for none),
# member, then (limit, window_ms) per bucket.
# The clock is Redis's own, so API processes on machines with skewed clocks agree.
# Returns: allowed flag, redis now (ms), the principal generation ('' when unset), then
# (count after, oldest score) per bucket. The generation rides along because every API
# request runs this script anyway (see security.principal_generation).
_SCRIPT = """
local generation = ''
if ARGV[1] ~= '' then generation = redis.call('GET', ARGV[1]) or '0' end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local member = ARGV[2]
local allowed = 1
local counts = {}
for i = 1, #KEYS do
  local limit = tonumber(ARGV[1 + 2 * i])
  local window = tonumber(ARGV[2 + 2 * i])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  counts[i] = redis.call('ZCARD', KEYS[i])
  if counts[i] >= limit then allowed = 0 end
end
local result = {allowed, tostring(now), generation}
for i = 1, #KEYS do
  local window = tonumber(ARGV[2 + 2 * i])
  if allowed == 1 then
    redis.call('ZADD', KEYS[i], now, member)
    redis.call('PEXPIRE', KEYS[i], window)
    counts[i] = counts[i] + 1
  end
  local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')[2] or now
  table.insert(result, counts[i])
  table.insert(result, tostring(oldest))
end
return result
"""


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

    async def hit(self, buckets: tuple[Bucket, ...], now: float) -> Decision:
        args: list[str | int] = [self._generation_key, uuid.uuid4().hex]
        for bucket in buckets:
            args.extend((bucket.limit, bucket.window_seconds * 1000))
        keys = [self._prefix + bucket.key for bucket in buckets]
        try:
            raw = await self._script(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as exc:
            raise StorageUnavailableError(type(exc).__name__) from exc
        redis_now = float(raw[1]) / 1000
        generation = raw[2].decode() if raw[2] else None
        states = []
        for i, bucket in enumerate(buckets):
            count = int(raw[3 + 2 * i])
            oldest = float(raw[4 + 2 * i]) / 1000
            # Expressed on our clock: only the distance to the reset travels.
            reset_in = oldest + bucket.window_seconds - redis_now
            states.append(
                BucketState(remaining=max(bucket.limit - count, 0), reset_at=now + reset_in)
            )
        return Decision(
            allowed=bool(int(raw[0])), states=tuple(states), principal_generation=generation
        )

    async def close(self) -> None:
        await self._redis.aclose()
