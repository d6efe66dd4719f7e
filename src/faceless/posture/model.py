"""The result of one posture check, and the categories checks belong to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    PASS = "pass"  # noqa: S105 - a status, not a password
    WARN = "warn"
    FAIL = "fail"
    SKIP = "skip"


class Category(StrEnum):
    TLS = "tls"
    HEADERS = "headers"
    EDGE = "edge"
    AUTH = "auth"
    LOCAL = "local"


@dataclass(frozen=True, slots=True)
class CheckResult:
    id: str
    category: Category
    status: Status
    points: int
    max_points: int
    evidence: str

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "category": self.category.value,
            "status": self.status.value,
            "points": self.points,
            "max_points": self.max_points,
            "evidence": self.evidence,
        }
