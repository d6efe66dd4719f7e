"""Request metrics counted in memory and written to the instruments about once a second.

Design:

* In multiprocess mode every instrument update is a locked write to an mmapped file:
  about 2 us for a counter and 5 us for a histogram observation on this machine, a
  tenth of what a ``GET /health`` costs in all. A request therefore only adds to two
  dictionaries (well under a microsecond); :meth:`RequestTally.flush` then adds each
  series' count, duration sum and per-bucket counts with one write each.
* A flush is scheduled on the running event loop at most once a second, and runs before
  every scrape this process answers (``GET /metrics``) and at lifespan shutdown; always
  on the loop that adds, so nothing is added while a flush swaps the dictionaries.
  Another process's last second may be missing from a scrape; nothing is lost unless
  a process is killed.
* prometheus-client has no public call for "n observations in bucket i": the flush adds
  them to the histogram child's bucket and sum values exactly as its ``observe`` does
  (non-cumulative bucket values, cumulated at exposition). Only :func:`add_observations`
  touches those internals, and a test compares it with ``observe`` on the same data.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from dataclasses import dataclass, field

from prometheus_client import Counter, Histogram

from faceless.metrics.instruments import HTTP_BUCKETS, HTTP_REQUEST_DURATION, HTTP_REQUESTS

FLUSH_SECONDS = 1.0


@dataclass
class _Durations:
    total: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * (len(HTTP_BUCKETS) + 1))


def add_observations(child: Histogram, buckets: list[int], total: float) -> None:
    """Add ``buckets[i]`` observations to bucket ``i`` (the last is +Inf) and ``total``."""
    child._sum.inc(total)
    for value, count in zip(child._buckets, buckets, strict=True):
        if count:
            value.inc(count)


class RequestTally:
    def __init__(self, *, requests: Counter, durations: Histogram) -> None:
        self._requests = requests
        self._durations = durations
        self._counts: dict[tuple[str, str, int], int] = {}
        self._timings: dict[tuple[str, str], _Durations] = {}
        self._flush_on: asyncio.AbstractEventLoop | None = None

    def add(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        self._counts[key] = self._counts.get(key, 0) + 1
        timing = self._timings.get((method, route))
        if timing is None:
            timing = self._timings[(method, route)] = _Durations()
        timing.total += seconds
        # The first bucket whose bound is at least ``seconds``, as observe() chooses.
        timing.buckets[bisect_left(HTTP_BUCKETS, seconds)] += 1
        self._schedule()

    def _schedule(self) -> None:
        loop = asyncio.get_running_loop()
        if self._flush_on is loop:
            return  # a flush is already due on this loop
        self._flush_on = loop
        loop.call_later(FLUSH_SECONDS, self.flush)

    def flush(self) -> None:
        self._flush_on = None
        counts, self._counts = self._counts, {}
        timings, self._timings = self._timings, {}
        for (method, route, status), count in counts.items():
            self._requests.labels(method, route, str(status)).inc(count)
        for (method, route), timing in timings.items():
            child = self._durations.labels(method, route)
            add_observations(child, timing.buckets, timing.total)


# One per process: every app in it counts here, every scrape it answers flushes it.
REQUESTS = RequestTally(requests=HTTP_REQUESTS, durations=HTTP_REQUEST_DURATION)
