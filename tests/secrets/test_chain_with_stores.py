"""The configured chain against real stores: ``SECRETS_BACKENDS=vault,files`` with OpenBao
and ``aws,env`` with moto's Secrets Manager, built by the same factory production uses."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from faceless.secrets import SecretBackendError, SecretEvent, build_secret_manager
from faceless.settings import AwsSecretsSettings, SecretsSettings, Settings, VaultSettings
from tests.fixtures.moto_server import MotoServer
from tests.fixtures.openbao import OpenBaoServer
from tests.secrets.test_manager import write_secret

KV_PATH = "faceless-chain"


def strong_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")


@pytest.fixture
def bao() -> Iterator[OpenBaoServer]:
    with OpenBaoServer() as server:
        yield server


def vault_settings(tmp_path: Path, bao: OpenBaoServer) -> Settings:
    # The Vault token is a bootstrap secret: it comes from the secrets directory.
    write_secret(tmp_path / "secrets", "VAULT_TOKEN", bao.root_token)
    write_secret(tmp_path / "secrets", "FALLBACK_ONLY", "from-files")
    return Settings(
        secrets=SecretsSettings(backends=["vault", "files"], directory=tmp_path / "secrets"),
        vault=VaultSettings(addr=bao.addr, path=KV_PATH, timeout_seconds=1.0),
    )


def test_vault_first_then_rotation_then_outage(tmp_path: Path, bao: OpenBaoServer) -> None:
    kv = bao.client().secrets.kv.v2
    first_key = strong_key()
    kv.create_or_update_secret(path=KV_PATH, secret={"SECRET_KEY": first_key})
    manager = build_secret_manager(vault_settings(tmp_path, bao))
    events: list[SecretEvent] = []
    manager.subscribe(events.append)

    loaded = manager.require("SECRET_KEY")
    assert (loaded.reveal(), loaded.backend, loaded.version) == (first_key, "vault", "1")
    assert manager.require("FALLBACK_ONLY").backend == "files"  # vault lacks it: next backend
    assert manager.health() == {"vault": "ok", "files": "ok"}

    rotated = strong_key()
    kv.create_or_update_secret(path=KV_PATH, secret={"SECRET_KEY": rotated})
    assert manager.require("SECRET_KEY").reveal() == first_key  # cached until reload
    manager.reload()
    assert (manager.require("SECRET_KEY").reveal(), manager.require("SECRET_KEY").version) == (
        rotated,
        "2",
    )

    bao.stop()
    manager.reload()
    # Loaded from vault before: keeps that value, never a weaker source's.
    assert manager.require("SECRET_KEY").reveal() == rotated
    # Never loaded: falls to the next configured backend (files), after a bounded timeout.
    assert manager.require("FALLBACK_ONLY").reveal() == "from-files"
    with pytest.raises(SecretBackendError, match="backend\\(s\\) vault failed"):
        manager.get("ONLY_IN_VAULT")
    assert manager.health()["vault"].startswith("unreachable")
    failures = [e for e in events if e.outcome == "failure"]
    assert failures and failures[0].backend == "vault"
    assert all(rotated not in repr(e) and first_key not in repr(e) for e in events)


def test_an_expired_cache_entry_sees_the_new_vault_version(
    tmp_path: Path, bao: OpenBaoServer
) -> None:
    """SECRETS_CACHE_TTL covers the stores' snapshots too: rotation without any reload."""
    kv = bao.client().secrets.kv.v2
    kv.create_or_update_secret(path=KV_PATH, secret={"METRICS_TOKEN": "first-token-value-0001"})
    settings = vault_settings(tmp_path, bao)
    settings = settings.model_copy(
        update={"secrets": settings.secrets.model_copy(update={"cache_ttl_seconds": 0})}
    )
    manager = build_secret_manager(settings)
    assert manager.require("METRICS_TOKEN").version == "1"
    kv.create_or_update_secret(path=KV_PATH, secret={"METRICS_TOKEN": "second-token-value-0002"})
    again = manager.require("METRICS_TOKEN")
    assert (again.reveal(), again.version) == ("second-token-value-0002", "2")


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


def test_aws_first_then_env(
    tmp_path: Path, moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ONLY_IN_ENV", "from-env")
    client = moto.client()
    key = strong_key()
    client.create_secret(Name="faceless/chain", SecretString=json.dumps({"SECRET_KEY": key}))
    settings = Settings(
        secrets=SecretsSettings(backends=["aws", "env"], directory=tmp_path / "none"),
        aws=AwsSecretsSettings(
            region="us-east-1", secret_id="faceless/chain", endpoint_url=moto.endpoint_url
        ),
    )
    manager = build_secret_manager(settings)
    loaded = manager.require("SECRET_KEY")
    assert (loaded.reveal(), loaded.backend) == (key, "aws")
    assert loaded.version is not None
    assert manager.require("ONLY_IN_ENV").backend == "env"

    rotated = strong_key()
    client.put_secret_value(
        SecretId="faceless/chain", SecretString=json.dumps({"SECRET_KEY": rotated})
    )
    manager.reload()
    again = manager.require("SECRET_KEY")
    assert again.reveal() == rotated and again.version != loaded.version
