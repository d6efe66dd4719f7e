"""The fallback chain: order, recorded backend, TTL, reload, failures reported not skipped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from faceless.secrets import (
    Secret,
    SecretBackendError,
    SecretEvent,
    SecretManager,
    SecretsConfigError,
    build_secret_manager,
)
from faceless.secrets.dotenv import DotenvBackend
from faceless.secrets.env import EnvBackend
from faceless.secrets.files import FilesBackend
from faceless.settings import Environment, SecretsSettings, Settings


def write_secret(directory: Path, name: str, value: str, mode: int = 0o600) -> None:
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / name
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(mode)


@pytest.fixture
def chain(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[SecretManager, Path]:
    """files first, then env: the order of SECRETS_BACKENDS=files,env."""
    directory = tmp_path / "secrets"
    write_secret(directory, "ALPHA_TOKEN", "alpha-from-files")
    monkeypatch.setenv("ALPHA_TOKEN", "alpha-from-env")
    monkeypatch.setenv("BETA_TOKEN", "beta-from-env")
    manager = SecretManager([FilesBackend(directory), EnvBackend()], ttl_seconds=300)
    return manager, directory


def test_first_backend_with_the_name_wins_and_is_recorded(
    chain: tuple[SecretManager, Path],
) -> None:
    manager, _ = chain
    alpha = manager.require("ALPHA_TOKEN")
    beta = manager.require("BETA_TOKEN")
    assert (alpha.reveal(), alpha.backend) == ("alpha-from-files", "files")
    assert (beta.reveal(), beta.backend) == ("beta-from-env", "env")
    assert manager.get("GAMMA_TOKEN") is None
    assert repr(alpha) == "Secret('ALPHA_TOKEN', backend='files')"


def test_cached_until_reload_then_the_rotated_value_is_read(
    chain: tuple[SecretManager, Path],
) -> None:
    manager, directory = chain
    assert manager.require("ALPHA_TOKEN").reveal() == "alpha-from-files"
    write_secret(directory, "ALPHA_TOKEN", "alpha-rotated")
    assert manager.require("ALPHA_TOKEN").reveal() == "alpha-from-files"  # TTL cache
    manager.reload()
    assert manager.require("ALPHA_TOKEN").reveal() == "alpha-rotated"


def test_a_zero_ttl_reads_the_store_every_time(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    write_secret(directory, "ALPHA_TOKEN", "first-value")
    manager = SecretManager([FilesBackend(directory)], ttl_seconds=0)
    assert manager.require("ALPHA_TOKEN").reveal() == "first-value"
    write_secret(directory, "ALPHA_TOKEN", "second-value")
    assert manager.require("ALPHA_TOKEN").reveal() == "second-value"


def test_a_failing_backend_is_reported_and_a_new_name_falls_through(
    chain: tuple[SecretManager, Path],
) -> None:
    manager, directory = chain
    events: list[SecretEvent] = []
    manager.subscribe(events.append)
    # A group-readable secret file is a real failure of the files backend.
    write_secret(directory, "BETA_TOKEN", "beta-from-files", mode=0o640)
    beta = manager.require("BETA_TOKEN")
    assert (beta.reveal(), beta.backend) == ("beta-from-env", "env")
    failure = next(e for e in events if e.outcome == "failure")
    assert (failure.name, failure.backend) == ("BETA_TOKEN", "files")
    assert failure.reason is not None and "chmod 600" in failure.reason
    assert "beta-from-files" not in repr(events)
    assert manager.health()["files"].startswith("failing: ")


def test_a_loaded_secret_never_drops_to_a_weaker_source_during_an_outage(
    chain: tuple[SecretManager, Path],
) -> None:
    manager, directory = chain
    assert manager.require("ALPHA_TOKEN").backend == "files"
    (directory / "ALPHA_TOKEN").chmod(0o644)  # the files backend now fails for it
    manager.reload()
    kept = manager.require("ALPHA_TOKEN")
    # Still the last value from files; the env value (a lower source) is never used.
    assert (kept.reveal(), kept.backend) == ("alpha-from-files", "files")
    assert manager.health()["files"].startswith("failing: ")


def test_when_every_holder_fails_the_read_raises_naming_the_backend(tmp_path: Path) -> None:
    directory = tmp_path / "secrets"
    write_secret(directory, "DELTA_TOKEN", "delta-value", mode=0o604)
    manager = SecretManager([FilesBackend(directory)], ttl_seconds=300)
    with pytest.raises(SecretBackendError, match="backend\\(s\\) files failed") as caught:
        manager.get("DELTA_TOKEN")
    assert "delta-value" not in str(caught.value)


def test_a_failing_backend_is_skipped_during_its_cooldown(tmp_path: Path) -> None:
    """A dead store costs one failure per cool-down, not one per secret."""
    directory = tmp_path / "secrets"
    write_secret(directory, "EPSILON_TOKEN", "epsilon-value", mode=0o644)
    write_secret(directory, "ZETA_TOKEN", "zeta-value", mode=0o644)
    events: list[SecretEvent] = []
    manager = SecretManager([FilesBackend(directory), EnvBackend()], failure_cooldown=60)
    manager.subscribe(events.append)
    for name in ("EPSILON_TOKEN", "ZETA_TOKEN"):
        with pytest.raises(SecretBackendError):
            manager.get(name)
    assert [e.name for e in events if e.outcome == "failure"] == ["EPSILON_TOKEN"]


def test_loads_are_announced_once_per_value(chain: tuple[SecretManager, Path]) -> None:
    manager, directory = chain
    events: list[SecretEvent] = []
    manager.subscribe(events.append)
    manager.require("ALPHA_TOKEN")
    manager.reload()
    manager.require("ALPHA_TOKEN")  # unchanged: no second event
    write_secret(directory, "ALPHA_TOKEN", "alpha-rotated")
    manager.reload()
    manager.require("ALPHA_TOKEN")
    assert [(e.name, e.backend, e.outcome) for e in events] == [
        ("ALPHA_TOKEN", "files", "success"),
        ("ALPHA_TOKEN", "files", "success"),
    ]
    assert manager.loaded_values() == ["alpha-rotated"]


def test_dotenv_is_a_development_backend(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("OMEGA_TOKEN=omega-from-dotenv\n# a comment\nEMPTY=\n", encoding="utf-8")
    dotenv.chmod(0o600)

    def settings(env: Environment, *, allow: bool = False) -> Settings:
        return Settings(
            env=env,
            secrets=SecretsSettings(
                backends=["dotenv"], dotenv_file=dotenv, allow_dotenv_in_production=allow
            ),
        )

    manager = build_secret_manager(settings(Environment.DEVELOPMENT))
    secret = manager.require("OMEGA_TOKEN")
    assert (secret.reveal(), secret.backend) == ("omega-from-dotenv", "dotenv")
    assert manager.get("EMPTY") is None
    with pytest.raises(SecretsConfigError, match="production refuses"):
        build_secret_manager(settings(Environment.PRODUCTION))
    assert build_secret_manager(settings(Environment.PRODUCTION, allow=True)).get("OMEGA_TOKEN")


def test_dotenv_must_be_private_outside_development(tmp_path: Path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("OMEGA_TOKEN=omega-from-dotenv\n", encoding="utf-8")
    dotenv.chmod(0o644)
    with pytest.raises(Exception, match="chmod 600") as caught:
        DotenvBackend(dotenv, require_private=True).get("OMEGA_TOKEN")
    assert "omega-from-dotenv" not in str(caught.value)
    assert DotenvBackend(dotenv, require_private=False).get("OMEGA_TOKEN") is not None


@pytest.mark.parametrize(
    ("backends", "message"),
    [
        (["nosuch"], "unknown secret backend 'nosuch'"),
        (["files", "files"], "lists a backend twice"),
        (["vault"], "VAULT_ADDR is not set"),
        (["aws"], "AWS_REGION or AWS_SECRET_ID"),
    ],
)
def test_misconfigured_chains_are_refused(backends: list[str], message: str) -> None:
    with pytest.raises(SecretsConfigError, match=message):
        build_secret_manager(Settings(secrets=SecretsSettings(backends=backends)))


def test_secrets_cannot_be_pickled_or_printed() -> None:
    secret = Secret("OMEGA_TOKEN", "omega-plaintext", backend="vault", version="3")
    assert "omega-plaintext" not in f"{secret} {secret!r} {[secret]} { ({'s': secret}) }"
    assert repr(secret) == "Secret('OMEGA_TOKEN', backend='vault')"
    with pytest.raises(TypeError):
        __import__("pickle").dumps(secret)
    assert os.environ.get("OMEGA_TOKEN") is None


def test_models_and_json_logs_show_the_name_not_the_value() -> None:
    from pydantic import BaseModel
    from structlog.processors import JSONRenderer

    class Holder(BaseModel):
        secret: Secret

    secret = Secret("OMEGA_TOKEN", "omega-plaintext", backend="vault")
    holder = Holder(secret=secret)
    dumps = [
        repr(holder),
        str(holder.model_dump()),
        holder.model_dump_json(),
        JSONRenderer()(None, "info", {"event": "loaded", "secret": secret}),
    ]
    for text in dumps:
        assert "omega-plaintext" not in text
        assert "OMEGA_TOKEN" in text and "vault" in text
