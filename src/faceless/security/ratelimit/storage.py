"""Moving-window counters: the storage protocol and the in-memory implementation.

A moving window (a log of hit times) never lets more than ``limit`` hits through
in *any* window of ``window`` seconds, unlike a fixed window, which lets twice
the limit through across a boundary. A check covers every bucket of a request at
once (its IP and its user) and is all-or-nothing: a request refused by one
budget is not charged to the other.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Bucket:
    key: str
    limit: int
    window_seconds: int


@dataclass(frozen=True, slots=True)
class BucketState:
    remaining: int
    reset_at: float  # epoch seconds when the oldest counted hit leaves the window


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    states: tuple[BucketState, ...]
    # Read in the same step as the counters (security.principal_generation); None when
    # this storage does not carry one.
    principal_generation: str | None = None


class RateLimitStorage(Protocol):
    name: str

    async def hit(self, buckets: tuple[Bucket, ...], now: float) -> Decision:
        """Count one hit in every bucket if all have room; otherwise count nothing."""

    async def close(self) -> None: ...


class StorageUnavailableError(RuntimeError):
    pass


class MemoryStorage:
    """Per-process counters for the embedded default (one process, no Redis)."""

    name = "memory"

    def __init__(self, generation: Callable[[], str] | None = None) -> None:
        self._generation = generation
        self._logs: dict[str, deque[float]] = {}
        self._hits_since_sweep = 0

    async def hit(self, buckets: tuple[Bucket, ...], now: float) -> Decision:
        # No await between reading and writing: atomic on the event loop.
        logs = []
        allowed = True
        for bucket in buckets:
            log = self._logs.setdefault(bucket.key, deque())
            horizon = now - bucket.window_seconds
            while log and log[0] <= horizon:
                log.popleft()
            allowed = allowed and len(log) < bucket.limit
            logs.append(log)
        if allowed:
            for log in logs:
                log.append(now)
        self._maybe_sweep(now)
        return Decision(
            allowed=allowed,
            states=tuple(
                BucketState(
                    remaining=max(bucket.limit - len(log), 0),
                    reset_at=(log[0] if log else now) + bucket.window_seconds,
                )
                for bucket, log in zip(buckets, logs, strict=True)
            ),
            principal_generation=self._generation() if self._generation else None,
        )

    def _maybe_sweep(self, now: float) -> None:
        self._hits_since_sweep += 1
        if self._hits_since_sweep < 10_000:
            return
        self._hits_since_sweep = 0
        # Drop logs whose newest hit is older than any window we use (a day).
        stale = [key for key, log in self._logs.items() if not log or log[-1] < now - 86400]
        for key in stale:
            del self._logs[key]

    async def close(self) -> None:
        self._logs.clear()


def retry_after_seconds(state: BucketState, now: float) -> int:
    return max(1, math.ceil(state.reset_at - now))
