"""The seed design's reproduction (``shared/peers/seed_reference``, uvicorn, plain HTTP).

Its reports sold "security score 95/100"; measured, it exits 1 and scores at most 40,
and the report names what is wrong on the wire: no TLS, no redirect, the legacy XSS
header, and the server software it discloses.
"""

from __future__ import annotations

import pytest

from tests.posture.instances import CheckRun

pytestmark = pytest.mark.slow


def test_exits_1_and_scores_at_most_40(runs: dict[str, CheckRun]) -> None:
    run = runs["seed"]
    assert run.exit_code == 1, run.report
    assert run.report["score"] <= 40
    assert run.report["grade"] == "F"
    assert run.report["tls"] == {"grade": "F"}


@pytest.mark.parametrize(
    ("check_id", "status", "cause"),
    [
        ("tls.protocols", "fail", "no TLS"),
        ("tls.chain", "fail", "no TLS"),
        ("edge.redirect", "fail", "200 without a redirect"),
        ("headers.xss_protection", "fail", "X-XSS-Protection: 1; mode=block"),
        ("edge.server_header", "warn", "server: uvicorn"),
        ("headers.hsts", "fail", "plain HTTP"),
        ("auth.docs_nonce", "fail", "carry no CSP nonce"),
        ("edge.head_size", "fail", "17 KiB header: 200"),
        ("edge.double_host", "fail", "two Host headers: 200"),
    ],
)
def test_names_the_cause(runs: dict[str, CheckRun], check_id: str, status: str, cause: str) -> None:
    check = runs["seed"].check(check_id)
    assert check["status"] == status, check
    assert check["points"] < check["max_points"]
    assert cause in check["evidence"], check


def test_local_checks_are_skipped_without_local(runs: dict[str, CheckRun]) -> None:
    local = {k: v for k, v in runs["seed"].statuses().items() if k.startswith("local.")}
    assert set(local.values()) == {"skip"}
