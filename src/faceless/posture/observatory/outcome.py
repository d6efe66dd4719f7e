"""One Observatory test's outcome: the engine's result name and whether it passed."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Outcome:
    name: str
    result: str
    passed: bool
    data: dict[str, list[str]] = field(default_factory=dict)
