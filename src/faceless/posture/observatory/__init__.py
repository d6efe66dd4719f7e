"""The MDN HTTP Observatory's score (algorithm version 4), reproduced in Python.

The npm package ``@mdn/mdn-http-observatory`` (its version is pinned in package.json)
is the reference: ``retrieval`` fetches what its retriever fetches, the ``*_rules``
modules are its ten tests translated one to one, ``grading`` is its score table and
grade chart. ``tests/posture`` runs the engine itself next to this code on the same
servers and requires the same score.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from faceless.posture.observatory.content_rules import (
    corp_test,
    referrer_policy_test,
    sri_test,
    x_content_type_options_test,
    x_frame_options_test,
)
from faceless.posture.observatory.csp_rule import csp_test
from faceless.posture.observatory.grading import final_score
from faceless.posture.observatory.outcome import Outcome
from faceless.posture.observatory.page import Retrieval
from faceless.posture.observatory.retrieval import retrieve
from faceless.posture.observatory.transport_rules import (
    cookies_test,
    cors_test,
    hsts_test,
    redirection_test,
)
from faceless.posture.wire import Wire

ALL_TESTS = (
    csp_test,
    cookies_test,
    cors_test,
    redirection_test,
    referrer_policy_test,
    hsts_test,
    sri_test,
    x_content_type_options_test,
    x_frame_options_test,
    corp_test,
)

__all__ = ["ObservatoryScan", "grade_retrieval", "scan_path"]


@dataclass(frozen=True, slots=True)
class ObservatoryScan:
    path: str
    status: int | None
    score: int | None  # None: the engine would refuse to grade (down, or an error status)
    grade: str | None
    outcomes: tuple[Outcome, ...] = field(default=())
    retrieval: Retrieval | None = None

    def failed(self) -> dict[str, str]:
        return {o.name: o.result for o in self.outcomes if not o.passed}


def grade_retrieval(path: str, retrieval: Retrieval) -> ObservatoryScan:
    auto = retrieval.auto
    if auto is None:
        return ObservatoryScan(path, None, None, None, retrieval=retrieval)
    if auto.status < 200 or (auto.status >= 400 and auto.status not in (401, 403)):
        return ObservatoryScan(path, auto.status, None, None, retrieval=retrieval)
    outcomes = tuple(test(retrieval) for test in ALL_TESTS)
    score, grade = final_score(outcomes)
    return ObservatoryScan(path, auto.status, score, grade, outcomes, retrieval)


def scan_path(
    wire: Wire, *, hostname: str, http_url: str | None, https_url: str | None, path: str
) -> ObservatoryScan:
    """Retrieve and grade ``path`` the way the engine grades a site's front page."""
    retrieval = retrieve(
        wire,
        hostname=hostname,
        http_url=http_url + path if http_url else None,
        https_url=https_url + path if https_url else None,
    )
    return grade_retrieval(path, retrieval)
