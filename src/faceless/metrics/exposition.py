"""One scrape: this process tree's instruments plus the families read at scrape time.

In multiprocess mode the instruments come from every file of the tree's directory
(``MultiProcessCollector``: counters and histograms summed over the processes, gauges by
their mode); a single process reads its own registry. Families computed for this
scrape (from the database, files, the secret store) are added once, by the process
that answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

from faceless.metrics.instruments import MULTIPROCESS_DIR, REGISTRY


class _Families:
    def __init__(self, families: Sequence[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def render(families: Sequence[Metric] = ()) -> bytes:
    """The text exposition (format 0.0.4) of one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS_DIR is not None:
        MultiProcessCollector(registry, path=MULTIPROCESS_DIR)  # type: ignore[no-untyped-call]
    else:
        registry.register(REGISTRY)
    registry.register(_Families(families))
    return generate_latest(registry)
