"""Reading a ``/metrics`` answer the way Prometheus does (its text-format parser)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, frozenset[tuple[str, str]]]


def samples(text: str) -> dict[Key, float]:
    """Every sample of an exposition: (sample name, labels) -> value."""
    found: dict[Key, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: dict[Key, float], name: str, **labels: str) -> float:
    """One sample's value; 0 when the series does not exist (yet)."""
    return found.get((name, frozenset(labels.items())), 0.0)


def names(found: dict[Key, float]) -> set[str]:
    return {name for name, _labels in found}
