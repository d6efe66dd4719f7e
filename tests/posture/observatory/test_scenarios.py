"""Engine and reproduction agree on pages built to reach the engine's other branches."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from faceless.posture.observatory import scan_path
from faceless.posture.wire import Wire
from tests.posture.observatory.engine import EngineResult, EngineTarget, run_engine
from tests.posture.observatory.scenario_server import SCENARIOS, ScenarioSite

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScenarioSite]:
    with ScenarioSite(tmp_path_factory.mktemp("scenario-tls")) as running:
        yield running


@pytest.fixture(scope="module")
def engine(site: ScenarioSite, tmp_path_factory: pytest.TempPathFactory) -> dict[str, EngineResult]:
    targets = [
        EngineTarget("localhost", site.https_port, site.http_port, f"/{name}") for name in SCENARIOS
    ]
    results = run_engine(targets, [site.ca], tmp_path_factory.mktemp("engine") / "ca.pem")
    graded = {n: r for n, r in zip(SCENARIOS, results, strict=True) if isinstance(r, EngineResult)}
    assert len(graded) == len(SCENARIOS), results
    return graded


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_same_results_as_the_engine(
    site: ScenarioSite, engine: dict[str, EngineResult], name: str
) -> None:
    ours = scan_path(
        Wire(frozenset({"localhost"}), ca_file=site.ca),
        hostname="localhost",
        http_url=f"http://localhost:{site.http_port}",
        https_url=f"https://localhost:{site.https_port}",
        path=f"/{name}",
    )
    expected = engine[name]
    assert {o.name: (o.result, o.passed) for o in ours.outcomes} == {
        test: (outcome["result"], outcome["pass"]) for test, outcome in expected.tests.items()
    }
    assert (ours.score, ours.grade) == (expected.score, expected.grade)
