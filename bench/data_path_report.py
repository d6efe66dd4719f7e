"""The data-path benchmark's tables: medians per target, ratios to bare and to the seed.

Every figure is the median over the interleaved rounds. ``x bare`` is a target's
requests/s over the bare FastAPI app's in the same scenario, ``x seed`` over the seed
design's. The last section holds the run against issue 11's targets; with a baseline,
each extra scenario's ratio to bare is compared with the baseline's in this same run.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from wrk_runner import Sample


@dataclass(frozen=True)
class Row:
    label: str
    kind: str  # "bare" | "raw" | "seed" | "ours"
    flavour: str | None  # "ours" | "baseline" for our servers
    deployment: str | None  # "pg" | "embedded" for our servers
    samples: Sequence[Sample]

    def median(self, field: str) -> float:
        values: list[float] = [getattr(sample, field) for sample in self.samples]
        return statistics.median(values)


def _ratio(row: Row, reference: Row | None) -> str:
    if reference is None or row is reference:
        return ""
    return f"{row.median('rps') / reference.median('rps'):.2f}x"


def print_scenario(title: str, rows: Sequence[Row]) -> None:
    bare = next((row for row in rows if row.kind == "bare"), None)
    seed = next((row for row in rows if row.kind == "seed"), None)
    print(f"\n{title}")
    header = f"  {'target':<44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'x bare':>7}"
    print(header + (f" {'x seed':>7}" if seed else ""))
    for row in rows:
        rps, p50, p99 = (row.median(field) for field in ("rps", "p50_ms", "p99_ms"))
        line = f"  {row.label:<44} {rps:>8.0f} {p50:>8.2f} {p99:>8.2f} {_ratio(row, bare):>7}"
        if seed:
            line += f" {_ratio(row, seed) if row.kind == 'ours' else '':>7}"
        print(line)


def print_memory(idle: Mapping[str, float], after: Mapping[str, float]) -> None:
    print("\nRSS of the serving process (VmRSS): at rest after start-up, data and warm-up")
    print("reads, before any load; and after the run")
    print(f"  {'process':<44} {'idle MB':>8} {'after MB':>9}")
    for label, mb in idle.items():
        print(f"  {label:<44} {mb:>8.0f} {after.get(label, math.nan):>9.0f}")


@dataclass(frozen=True)
class Check:
    what: str
    value: str
    met: bool


def _ours(rows: Sequence[Row], flavour: str, deployment: str) -> Row | None:
    return next((r for r in rows if r.flavour == flavour and r.deployment == deployment), None)


def _bare_ratio(rows: Sequence[Row], row: Row) -> float:
    bare = next(r for r in rows if r.kind == "bare")
    return row.median("rps") / bare.median("rps")


NAMES = {"pg": "PostgreSQL + Redis", "embedded": "embedded"}


def target_checks(
    by_scenario: Mapping[str, Sequence[Row]], idle: Mapping[str, float], extras: Sequence[str]
) -> list[Check]:
    """Issue 11's targets, as far as this run measured them."""
    checks = []
    floors = {
        "health": {"pg": 0.85, "embedded": 0.85},
        "list": {"pg": 1.0, "embedded": 0.8},
        # Issue 15: the same targets hold for a script reading with an API token.
        "list-token": {"pg": 1.0, "embedded": 0.8},
    }
    for key, floor_by in floors.items():
        for deployment, floor in floor_by.items():
            row = _ours(by_scenario.get(key, ()), "ours", deployment)
            if row is not None:
                ratio = _bare_ratio(by_scenario[key], row)
                what = f"{key}, {NAMES[deployment]}: >= {floor:.2f}x bare"
                checks.append(Check(what, f"{ratio:.2f}x", ratio >= floor))
    for deployment in NAMES:
        row = _ours(by_scenario.get("create", ()), "ours", deployment)
        if row is not None:
            ratio, p99 = _bare_ratio(by_scenario["create"], row), row.median("p99_ms")
            what = f"create, {NAMES[deployment]}: >= 0.15x bare, p99 <= 100 ms"
            checks.append(Check(what, f"{ratio:.2f}x, {p99:.0f} ms", ratio >= 0.15 and p99 <= 100))
    for label, mb in idle.items():
        if label.startswith("ours") and "PostgreSQL" in label:
            checks.append(Check(f"idle RSS, {label}: <= 100 MB", f"{mb:.0f} MB", mb <= 100))
    for key in extras:
        rows = by_scenario.get(key, ())
        for deployment in NAMES:
            ours, before = _ours(rows, "ours", deployment), _ours(rows, "baseline", deployment)
            if ours is not None and before is not None:
                now, then = _bare_ratio(rows, ours), _bare_ratio(rows, before)
                what = f"{key}, {NAMES[deployment]}: x bare >= the baseline's"
                checks.append(Check(what, f"{now:.2f}x vs {then:.2f}x", now >= then))
    return checks


def print_checks(checks: Sequence[Check]) -> None:
    print("\nIssue 11 targets in this run")
    for check in checks:
        print(f"  {'met   ' if check.met else 'MISSED'} {check.what:<58} {check.value}")
