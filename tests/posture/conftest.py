"""Session fixtures: every measured instance started once, side by side, and measured once.

Start-up (imports, migrations, the first admin's password hash) dominates, so all
servers are launched together and each fixture then waits for its ports. Each
instance is measured by exactly one ``faceless security-check`` run: a second run
within a minute would find the login tier already spent by the first. The TLS 1.0
relay fronts our own instance, so it is measured after ours.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from tests.fixtures import free_port
from tests.posture.instances import (
    SEED_APP,
    CheckRun,
    Instance,
    finish_security_check,
    make_run_env,
    self_signed_leaf,
    serve,
    serve_seed,
    start_security_check,
)
from tests.posture.tls_relay import Tls10Relay

# Each weakened copy of ours: (name, the one setting that weakens it).
WEAKENED_BY_SETTING: dict[str, dict[str, str]] = {
    "hsts_off": {"HSTS_MAX_AGE": "0"},
    "legacy_xss": {"XSS_PROTECTION_LEGACY": "true"},
    "no_login_limit": {"RATE_LIMITS": "login=100000/minute"},
    # Long enough for start-up's shape check, and still a placeholder.
    "placeholder_secret": {"METRICS_TOKEN": "changeme-changeme-changeme-changeme"},
}


@dataclass
class Fleet:
    instances: dict[str, Instance]
    relay: Instance


def _ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        if (port := free_port()) not in ports:
            ports.append(port)
    return ports


def _ours_like(name: str, base: pytest.TempPathFactory, **overrides: str) -> Instance:
    home = base.mktemp(name)
    https_port, http_port = _ports(2)
    env = make_run_env(home, https_port, **overrides)
    instance = Instance(name, https_port, http_port, home, env)
    instance.ca_file = home / "var" / "tls" / "ca.pem"
    return instance


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    if not SEED_APP.is_dir():
        pytest.skip(f"the seed reproduction is not at {SEED_APP}")
    ours = _ours_like("ours", tmp_path_factory)
    instances = {"ours": ours}
    for name, overrides in WEAKENED_BY_SETTING.items():
        instances[name] = _ours_like(name, tmp_path_factory, **overrides)
    leaf_dir = tmp_path_factory.mktemp("self-signed-leaf")
    cert, key = self_signed_leaf(leaf_dir)
    signed = _ours_like(
        "self_signed", tmp_path_factory, TLS_CERT_FILE=str(cert), TLS_KEY_FILE=str(key)
    )
    signed.ca_file = ours.ca_file  # the CA a client of ours trusts, which never signed this leaf
    instances["self_signed"] = signed
    instances["cors_reflecting"] = _ours_like("cors_reflecting", tmp_path_factory)
    seed_home = tmp_path_factory.mktemp("seed")
    instances["seed"] = Instance("seed", None, free_port(), seed_home, local=False)
    with contextlib.ExitStack() as stack:
        for name, instance in instances.items():
            if name == "seed":
                process = serve_seed(instance)
            elif name == "cors_reflecting":
                process = serve(instance, [sys.executable, "-m", "tests.posture.reflecting_cors"])
            else:
                process = serve(instance)
            instance.process = stack.enter_context(process)
        for instance in instances.values():
            assert instance.process is not None
            if instance.https_port:
                instance.process.wait_for_port(instance.https_port, timeout=180)
            instance.process.wait_for_port(instance.http_port, timeout=180)
        assert ours.ca_file is not None
        relay = stack.enter_context(
            Tls10Relay(
                ours.home / "var/tls/cert.pem",
                ours.home / "var/tls/key.pem",
                ours.ca_file,
                ours.https_port or 0,
            )
        )
        relay_instance = Instance(
            "tls10_relay", relay.port, ours.http_port, ours.home, ours.env, ours.ca_file
        )
        yield Fleet(instances, relay_instance)


@pytest.fixture(scope="session")
def runs(fleet: Fleet) -> dict[str, CheckRun]:
    """One security-check per instance, two at a time (the machine has two cores)."""

    def measure(instance: Instance) -> CheckRun:
        return finish_security_check(start_security_check(instance))

    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(fleet.instances, pool.map(measure, fleet.instances.values()), strict=True))
    done["tls10_relay"] = measure(fleet.relay)
    return done
