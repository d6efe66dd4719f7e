"""Our instance as ``make run`` starts it, measured with ``--local`` (issue 13's "Done when").

``faceless security-check https://localhost:PORT --http-url http://localhost:PORT
--ca-file var/tls/ca.pem --local`` scores at least 95, grade A or A+, TLS A+ and
Observatory at least 130, and exits 0.
"""

from __future__ import annotations

import json

import pytest

from faceless.posture.weights import WEIGHTS
from tests.posture.conftest import Fleet
from tests.posture.instances import CheckRun

pytestmark = pytest.mark.slow


def test_scores_at_least_95_with_tls_a_plus_and_observatory_130(runs: dict[str, CheckRun]) -> None:
    run = runs["ours"]
    report = run.report
    failing = {c["id"]: c["evidence"] for c in report["checks"] if c["status"] == "fail"}
    assert run.exit_code == 0, (report["score"], failing)
    assert report["score"] >= 95, failing
    assert report["grade"] in ("A", "A+"), failing
    assert report["tls"] == {"grade": "A+"}
    assert report["observatory"]["score"] >= 130
    assert report["observatory"]["grade"] == "A+"


def test_the_report_has_the_binding_shape(runs: dict[str, CheckRun], fleet: Fleet) -> None:
    report = runs["ours"].report
    assert report["target"] == fleet.instances["ours"].origin
    assert set(report) == {"target", "score", "grade", "checks", "observatory", "tls"}
    assert [c["id"] for c in report["checks"]] == list(WEIGHTS)
    for check in report["checks"]:
        assert set(check) == {"id", "category", "status", "points", "max_points", "evidence"}
        assert check["status"] in ("pass", "warn", "fail", "skip")
        assert 0 <= check["points"] <= check["max_points"] == WEIGHTS[check["id"]].points
        assert check["evidence"]


def test_local_checks_ran_and_passed(runs: dict[str, CheckRun]) -> None:
    statuses = runs["ours"].statuses()
    local = {k: v for k, v in statuses.items() if k.startswith("local.")}
    assert len(local) == 5
    assert local == dict.fromkeys(local, "pass"), runs["ours"].report["checks"]


def test_no_secret_value_is_printed(runs: dict[str, CheckRun], fleet: Fleet) -> None:
    secrets_dir = fleet.instances["ours"].home / "var" / "secrets"
    keys = [
        entry.partition(":")[2] or entry
        for path in secrets_dir.iterdir()
        for entry in path.read_text().strip().split(",")
    ]
    printed = json.dumps(runs["ours"].report) + runs["ours"].stderr
    assert keys
    assert not [key for key in keys if key in printed]


def test_no_check_fails(runs: dict[str, CheckRun]) -> None:
    """Nothing fails: grade A+."""
    report = runs["ours"].report
    failing = {c["id"]: c["evidence"] for c in report["checks"] if c["status"] == "fail"}
    assert failing == {}
    assert report["grade"] == "A+"
