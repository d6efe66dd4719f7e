"""The overall score and grade of API.md, and the weights table of the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from faceless.posture.model import Status
from faceless.posture.scoring import overall_grade, overall_score
from faceless.posture.weights import WEIGHTS, result

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_weights_add_up_to_100() -> None:
    assert sum(w.points for w in WEIGHTS.values()) == 100
    assert all(0 <= w.warn < w.points for w in WEIGHTS.values())


def test_the_readme_table_is_the_code_table() -> None:
    rows = re.findall(r"^\| `([a-z_.]+)` \| (\w+) \| (\d+) \| (\d+) \|", README.read_text(), re.M)
    table = {
        check_id: (category, int(points), int(warn)) for check_id, category, points, warn in rows
    }
    assert table == {
        check_id: (w.category.value, w.points, w.warn) for check_id, w in WEIGHTS.items()
    }


def test_skipped_checks_are_not_available() -> None:
    checks = [
        result("tls.chain", Status.PASS, "ok"),
        result("local.secrets", Status.SKIP, "not run"),
        result("edge.trace", Status.FAIL, "200"),
    ]
    assert overall_score(checks) == round(100 * 5 / 6)


@pytest.mark.parametrize(
    ("score", "failed", "grade"),
    [
        (100, False, "A+"),
        (95, False, "A+"),
        (95, True, "A"),
        (94, False, "A"),
        (90, False, "A"),
        (89, False, "B"),
        (80, False, "B"),
        (79, False, "C"),
        (70, False, "C"),
        (69, False, "D"),
        (60, False, "D"),
        (59, False, "F"),
        (0, False, "F"),
    ],
)
def test_grade_table(score: int, failed: bool, grade: str) -> None:
    checks = [result("edge.trace", Status.FAIL if failed else Status.PASS, "x")]
    assert overall_grade(score, checks) == grade


def test_score_rounds_half_up() -> None:
    assert overall_score([result("edge.server_header", Status.WARN, "software only")]) == 50
    # 5 of 8 points: 62.5 -> 63
    checks = [result("tls.chain", Status.PASS, "ok"), result("tls.name", Status.FAIL, "other")]
    assert overall_score(checks) == 63
