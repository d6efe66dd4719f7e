"""Our Observatory scorer and the MDN engine itself give the same score on the same servers.

For our instance, each weakened copy, the TLS 1.0 relay and the seed reproduction, on
``/health`` and ``/docs``: the npm engine (driven on custom ports by ``engine.py``) and :func:`faceless.posture.observatory.scan_path` each retrieve and
grade; the score, the grade and every test's result must be equal.
"""

from __future__ import annotations

import pytest

from faceless.posture.observatory import ObservatoryScan, scan_path
from faceless.posture.wire import Wire
from tests.fixtures import free_port
from tests.posture.conftest import Fleet
from tests.posture.instances import Instance
from tests.posture.observatory.engine import EngineResult, EngineTarget, run_engine

pytestmark = pytest.mark.slow

PATHS = ("/health", "/docs")
NAMES = (
    "ours",
    "hsts_off",
    "legacy_xss",
    "self_signed",
    "cors_reflecting",
    "no_login_limit",
    "placeholder_secret",
    "tls10_relay",
    "seed",
)


def _instance(fleet: Fleet, name: str) -> Instance:
    return fleet.relay if name == "tls10_relay" else fleet.instances[name]


def _ours(instance: Instance, path: str) -> ObservatoryScan:
    wire = Wire(frozenset({instance.host}), ca_file=instance.ca_file)
    https = instance.https_port is not None
    return scan_path(
        wire,
        hostname=instance.host,
        http_url=f"http://{instance.host}:{instance.http_port}",
        https_url=instance.origin if https else None,
        path=path,
    )


@pytest.fixture(scope="module")
def engine_results(
    fleet: Fleet, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], EngineResult]:
    keys = [(name, path) for name in NAMES for path in PATHS]
    targets = []
    for name, path in keys:
        instance = _instance(fleet, name)
        # The seed has no HTTPS: the engine finds nothing listening on a free port.
        https_port = instance.https_port or free_port()
        targets.append(EngineTarget(instance.host, https_port, instance.http_port, path))
    cas = [i.ca_file for i in fleet.instances.values() if i.ca_file is not None]
    bundle = tmp_path_factory.mktemp("engine") / "cas.pem"
    results = run_engine(targets, cas, bundle, processes=3)
    graded = {key: r for key, r in zip(keys, results, strict=True) if isinstance(r, EngineResult)}
    assert len(graded) == len(keys), dict(zip(keys, results, strict=True))
    return graded


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("name", NAMES)
def test_same_score_and_results_as_the_engine(
    fleet: Fleet,
    engine_results: dict[tuple[str, str], EngineResult],
    name: str,
    path: str,
) -> None:
    engine = engine_results[(name, path)]
    ours = _ours(_instance(fleet, name), path)
    assert {o.name: o.result for o in ours.outcomes} == {
        test: outcome["result"] for test, outcome in engine.tests.items()
    }
    assert {o.name: o.passed for o in ours.outcomes} == {
        test: outcome["pass"] for test, outcome in engine.tests.items()
    }
    assert (ours.score, ours.grade) == (engine.score, engine.grade)


def test_the_weakenings_move_the_engine_too(
    engine_results: dict[tuple[str, str], EngineResult],
) -> None:
    """The comparison is not between two constants: the engine's score does move."""
    scores = {name: engine_results[(name, "/health")].score for name in NAMES}
    assert scores["ours"] >= 130
    assert scores["hsts_off"] < scores["ours"]
    assert scores["self_signed"] < scores["ours"]
    assert scores["seed"] < 100
