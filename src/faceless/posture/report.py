"""The report: a table of checks with evidence, the score, the grade and the sub-grades."""

from __future__ import annotations

from dataclasses import dataclass

from faceless.posture.headers import ObservatorySummary
from faceless.posture.model import CheckResult
from faceless.posture.scoring import overall_grade, overall_score
from faceless.posture.tls_rating import TlsRating


@dataclass(frozen=True, slots=True)
class Report:
    target: str
    checks: tuple[CheckResult, ...]
    observatory: ObservatorySummary
    tls: TlsRating
    requests: int
    seconds: float
    tls_scanned: bool = True

    @property
    def score(self) -> int:
        return overall_score(self.checks)

    @property
    def grade(self) -> str:
        return overall_grade(self.score, self.checks)

    def check(self, check_id: str) -> CheckResult:
        return next(c for c in self.checks if c.id == check_id)

    def as_json(self) -> dict[str, object]:
        """The binding shape of API.md: nothing more, nothing less."""
        return {
            "target": self.target,
            "score": self.score,
            "grade": self.grade,
            "checks": [check.as_json() for check in self.checks],
            "observatory": {"score": self.observatory.score, "grade": self.observatory.grade},
            "tls": {"grade": self.tls.grade},
        }

    def as_text(self) -> str:
        width = max(len(c.id) for c in self.checks)
        lines = [f"{'check':<{width}}  status  points  evidence"]
        for c in self.checks:
            points = f"{c.points}/{c.max_points}"
            lines.append(f"{c.id:<{width}}  {c.status.value:<6}  {points:>6}  {c.evidence}")
        caps = "; ".join(f"{cap}: {reason}" for cap, reason in self.tls.caps)
        lines += [
            "",
            f"target       {self.target}",
            f"score        {self.score}/100, grade {self.grade}",
            f"observatory  {self.observatory.score} ({self.observatory.grade})",
            f"tls          {self.tls.grade} (SSL Labs score {self.tls.score}"
            + (f"; {caps})" if caps else ")"),
            f"probing      {self.requests} HTTP requests"
            + (" and one TLS scan" if self.tls_scanned else "")
            + f" in {self.seconds:.1f} s",
        ]
        return "\n".join(lines)
