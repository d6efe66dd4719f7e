"""Local checks on a var dir built here: modes named with their paths, secrets named
with their reasons and never their values."""

from __future__ import annotations

from pathlib import Path

from faceless.crypto.keys import generate_keyring_value
from faceless.posture.local import bounds_check, file_modes_check, secrets_check
from faceless.secrets.factory import build_secret_manager
from faceless.settings import HttpSettings, PathSettings, SecretsSettings, Settings


def _settings(var: Path, **http: object) -> Settings:
    return Settings(
        paths=PathSettings(var_dir=var),
        secrets=SecretsSettings(backends=["files"], directory=var / "secrets"),
        http=HttpSettings(**http),
    )


def _var(tmp_path: Path, **secrets: str) -> Path:
    var = tmp_path / "var"
    (var / "secrets").mkdir(parents=True, mode=0o700)
    var.chmod(0o700)
    for name, value in secrets.items():
        path = var / "secrets" / name
        path.touch(mode=0o600)
        path.write_text(value + "\n")
    return var


def test_private_var_dir_passes_and_loose_modes_are_named(tmp_path: Path) -> None:
    var = _var(tmp_path, SECRET_KEY=generate_keyring_value())
    assert file_modes_check(_settings(var)).status.value == "pass"
    (var / "tls").mkdir(mode=0o700)
    key = var / "tls" / "key.pem"
    key.write_text("only the mode of this file matters here\n")
    key.chmod(0o644)
    var.chmod(0o755)
    check = file_modes_check(_settings(var))
    assert check.status.value == "fail"
    assert f"{key} is 0644 (a private key must be private)" in check.evidence
    assert f"{var} is 0755 (var/ must be private)" in check.evidence


def test_placeholders_and_weak_keys_are_named_never_shown(tmp_path: Path) -> None:
    placeholder = "changeme-changeme-changeme-changeme"
    weak = "00" * 32  # 256 bits, one distinct byte
    var = _var(
        tmp_path,
        SECRET_KEY=weak,
        DATA_ENCRYPTION_KEY=generate_keyring_value(),
        API_TOKEN_HMAC_KEY=generate_keyring_value(),
        METRICS_TOKEN=placeholder,
    )
    settings = _settings(var)
    check = secrets_check(settings, build_secret_manager(settings))
    assert check.status.value == "fail"
    assert "METRICS_TOKEN: is a placeholder value" in check.evidence
    assert "SECRET_KEY: a key has too little entropy" in check.evidence
    assert placeholder not in check.evidence
    assert weak not in check.evidence


def test_strong_secrets_pass(tmp_path: Path) -> None:
    var = _var(
        tmp_path,
        SECRET_KEY=generate_keyring_value(),
        DATA_ENCRYPTION_KEY=generate_keyring_value(),
        API_TOKEN_HMAC_KEY=generate_keyring_value(),
    )
    settings = _settings(var)
    check = secrets_check(settings, build_secret_manager(settings))
    assert check.status.value == "pass", check.evidence


def test_loose_bounds_fail(tmp_path: Path) -> None:
    assert bounds_check(_settings(tmp_path)).status.value == "pass"
    loose = bounds_check(_settings(tmp_path, header_timeout_seconds=600, max_connections=10**6))
    assert loose.status.value == "fail"
    assert "HEADER_TIMEOUT_SECONDS over 60" in loose.evidence
    assert "MAX_CONNECTIONS over 100000" in loose.evidence
