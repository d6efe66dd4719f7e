"""The overall score and grade (API.md, "Measured security posture").

Score: the points earned over the points available, as a percentage rounded half up;
a skipped check is not available. Grade: A+ at 95 or more with no failed check, A at
90 (or 95 with a failure), B at 80, C at 70, D at 60, F below.
"""

from __future__ import annotations

from collections.abc import Iterable

from faceless.posture.model import CheckResult, Status

_GRADES = ((90, "A"), (80, "B"), (70, "C"), (60, "D"))


def overall_score(checks: Iterable[CheckResult]) -> int:
    counted = [c for c in checks if c.status is not Status.SKIP]
    available = sum(c.max_points for c in counted)
    if available == 0:
        return 0
    earned = sum(c.points for c in counted)
    return (200 * earned + available) // (2 * available)


def overall_grade(score: int, checks: Iterable[CheckResult]) -> str:
    if score >= 95 and not any(c.status is Status.FAIL for c in checks):
        return "A+"
    return next((grade for floor, grade in _GRADES if score >= floor), "F")
