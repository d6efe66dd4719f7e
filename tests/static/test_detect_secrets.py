"""No secret enters the repository: detect-secrets, a project plugin and an audited baseline.

* Every tracked file is scanned with the stock plugins plus ``secret_plugins.py`` under the
  filters recorded in ``.secrets.baseline``; a finding that the baseline does not hold
  fails the test, named by file, line and type only (never the value).
* Every baseline entry must have been audited as a false positive (``is_secret: false``).
* The plugin catches the shapes the stock plugins miss and lets placeholders through.
* The ``.env`` templates hold nothing the scan flags at all, baseline or not.

Scans run in-process with one worker (no network verification, no subprocess pool).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
from detect_secrets.core.potential_secret import PotentialSecret
from detect_secrets.core.secrets_collection import SecretsCollection
from detect_secrets.settings import default_settings, get_settings, transient_settings

from tests.static import secret_plugins

ROOT = Path(__file__).resolve().parents[2]
BASELINE = ROOT / ".secrets.baseline"
PLUGIN = Path(secret_plugins.__file__).resolve()
PLUGIN_REL = PLUGIN.relative_to(ROOT).as_posix()
PLUGIN_TYPES = {
    secret_plugins.ConnectionUrlCredentialsDetector.secret_type,
    secret_plugins.AnthropicApiKeyDetector.secret_type,
}
ENV_TEMPLATES = (".env.example", ".env.production.example")

REGENERATE = (
    "cd <repo root> && .venv/bin/detect-secrets scan --no-verify --baseline .secrets.baseline"
    " && .venv/bin/python -m tests.static.audit_secrets_baseline"
    "   (answer y, 'should be committed', only for a genuine false positive; a real secret"
    " must be removed from the code and rotated instead)"
)
# First generation, or if the baseline is lost:
#   .venv/bin/detect-secrets scan --no-verify --plugin tests/static/secret_plugins.py \
#     --exclude-files '(^|/)(uv\.lock|package-lock\.json)$' \
#     --exclude-files '^\.secrets\.baseline$' \
#     --exclude-files '\.(wav|mp3|mp4|m4a|ogg|opus|flac|webm|png|jpe?g|gif|webp|ico|pdf|woff2?|ttf|zip|gz)$' \
#     > .secrets.baseline
# then make the plugin path relative ("file://tests/static/secret_plugins.py") and audit.

_PLUGINS = [
    {"name": "ConnectionUrlCredentialsDetector", "path": f"file://{PLUGIN}"},
    {"name": "AnthropicApiKeyDetector", "path": f"file://{PLUGIN}"},
]


@contextmanager
def _settings(config: dict[str, Any]) -> Iterator[None]:
    """detect-secrets' global settings for one scan (its plugin map is cached globally)."""
    get_mapping_from_secret_type_to_class.cache_clear()
    try:
        with transient_settings(config):
            get_mapping_from_secret_type_to_class.cache_clear()
            yield
    finally:
        get_mapping_from_secret_type_to_class.cache_clear()


def _scan(files: list[str], config: dict[str, Any], root: Path | None) -> SecretsCollection:
    """Scan ``files`` (relative to ``root``, default the working directory)."""
    found = SecretsCollection(root=str(root) if root else "")
    with _settings(config):
        for name in files:
            found.scan_file(name)
    return found


def _stock_and_project_config() -> dict[str, Any]:
    """Every stock plugin and filter (no network verification) plus the project plugin."""
    with default_settings():
        config: dict[str, Any] = get_settings().json()
    config["plugins_used"] = [*config["plugins_used"], *_PLUGINS]
    config["filters_used"] = [
        f for f in config["filters_used"] if "verification_policies" not in f["path"]
    ]
    return config


def _describe(secrets: SecretsCollection) -> list[str]:
    # Built here rather than from str(secret) so what reaches the output is explicit.
    return sorted(f"{filename}:{secret.line_number}: {secret.type}" for filename, secret in secrets)


def _load_baseline() -> dict[str, Any]:
    baseline: dict[str, Any] = json.loads(BASELINE.read_text())
    return baseline


# -- the repository --------------------------------------------------------------------


def test_baseline_uses_the_project_plugin_and_excludes() -> None:
    baseline = _load_baseline()
    plugins = {p["name"]: p for p in baseline["plugins_used"]}
    for spec in _PLUGINS:
        # Relative, so the baseline works in any checkout (scan from the repository root).
        assert plugins.get(spec["name"], {}).get("path") == f"file://{PLUGIN_REL}", (
            f"{spec['name']} is missing from .secrets.baseline or has a machine-specific "
            f"path; regenerate: {REGENERATE}"
        )
    filters = {f["path"]: f for f in baseline["filters_used"]}
    excluded = filters["detect_secrets.filters.regex.should_exclude_file"]["pattern"]
    assert any("uv\\.lock" in p for p in excluded)
    assert "detect_secrets.filters.common.is_ignored_due_to_verification_policies" not in filters


def test_every_baseline_entry_is_an_audited_false_positive() -> None:
    unaudited = sorted(
        f"{filename}:{entry['line_number']}: {entry['type']} (is_secret={entry.get('is_secret')})"
        for filename, entries in _load_baseline()["results"].items()
        for entry in entries
        if entry.get("is_secret") is not False
    )
    assert not unaudited, (
        "entries in .secrets.baseline not audited as false positives:\n  "
        + "\n  ".join(unaudited)
        + f"\naudit them: {REGENERATE}"
    )


def _tracked_files() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    # A tracked file deleted in the working tree is not there to scan.
    return sorted(name for name in listed.split("\0") if name and (ROOT / name).is_file())


def test_no_new_secret_in_tracked_files(monkeypatch: pytest.MonkeyPatch) -> None:
    baseline = _load_baseline()
    config = {
        **baseline,
        # The plugin is loaded from this checkout whatever the baseline's relative path is
        # resolved against, and it is always on: dropping it from the baseline hides nothing.
        "plugins_used": [
            *(
                p
                for p in baseline["plugins_used"]
                if p["name"] not in {q["name"] for q in _PLUGINS}
            ),
            *_PLUGINS,
        ],
    }
    # The exclude-files regexes are relative to the repository root, like the CLI's.
    monkeypatch.chdir(ROOT)
    files = _tracked_files()
    assert len(files) > 50
    found = _scan(files, config, None)
    known = SecretsCollection.load_from_baseline(baseline)
    new = found - known
    assert not new, (
        "possible secrets not in .secrets.baseline (file:line: type):\n  "
        + "\n  ".join(_describe(new))
        + "\nRemove real secrets (and rotate them). If every one is a false positive, "
        f"regenerate and audit the baseline: {REGENERATE}"
    )


# -- the plugin ------------------------------------------------------------------------


def _url(scheme: str, userinfo: str, rest: str) -> str:
    # Assembled at run time so this file holds no credential-shaped literal.
    return scheme + "://" + userinfo + "@" + rest


# An invented key of the real shape: "sk-ant-api03-", 93 base64url characters, "AA".
ANTHROPIC_KEY = "sk-ant-" + "api03-" + ("Zq3x-Yb7_Wc9" * 8)[:93] + "AA"

CAUGHT = {
    "postgresql with %-escape and ! in the password": _url(
        "postgresql", "user:p%40ss!word", "host/db"
    ),
    "postgresql+asyncpg with - and # in the password": _url(
        "postgresql+asyncpg", "u:s3cr3t-#", "h/d"
    ),
    "redis with an empty user": _url("redis", ":pw", "host:6379/0"),
    "rediss with a user": _url("rediss", "default:Tr0ub4dor&3", "cache.internal:6380/1"),
    "mongodb+srv": _url("mongodb+srv", "app:c0rrect$horse", "cluster0.example.net/db"),
    "anthropic key": ANTHROPIC_KEY,
}
IGNORED = {
    "placeholder <set-me>": _url("postgresql+asyncpg", "faceless:<set-me>", "db/faceless"),
    "placeholder in a redis URL": _url("redis", ":<set-me>", "redis:6379/0"),
    "no credentials": "redis://localhost:6379/0",
    "only a user name": "postgresql://postgres@127.0.0.1:5432/postgres",
    "environment reference": _url("postgresql", "app:${DB_PASSWORD}", "db/app"),
    "f-string field": _url("redis", ":{password}", "127.0.0.1:6379/0"),
    "elided": _url("postgresql+asyncpg", "postgres:...", "127.0.0.1:5432/app"),
    "variable name": _url("redis", ":PASSWORD", "127.0.0.1:6379/1"),
    "masked": _url("postgresql", "app:***", "db/app"),
    "anthropic key elided": "sk-ant-api03-...",
    "anthropic key too short": "sk-ant-api03-abcdef",
}


def _plugin_findings(tmp_path: Path, cases: dict[str, str]) -> dict[str, set[str]]:
    """Scan one temp file, a case per line, with stock + project plugins; types per case."""
    names = list(cases)
    target = tmp_path / "sample.env"
    target.write_text("".join(f'VALUE_{i}="{cases[n]}"\n' for i, n in enumerate(names)))
    found = _scan([target.name], _stock_and_project_config(), tmp_path)
    by_case: dict[str, set[str]] = {name: set() for name in names}
    for _, secret in found:
        by_case[names[secret.line_number - 1]].add(secret.type)
    return by_case


def test_plugin_catches_what_the_stock_plugins_miss(tmp_path: Path) -> None:
    by_case = _plugin_findings(tmp_path, CAUGHT)
    missed = [name for name, types in by_case.items() if not types & PLUGIN_TYPES]
    assert not missed, f"the project plugin missed: {missed}"
    assert "Anthropic API Key" in by_case["anthropic key"]
    # The gap the plugin exists for: stock BasicAuthDetector alone misses these.
    for name in ("postgresql with %-escape and ! in the password", "redis with an empty user"):
        assert "Basic Auth Credentials" not in by_case[name]


def test_plugin_lets_placeholders_through(tmp_path: Path) -> None:
    by_case = _plugin_findings(tmp_path, IGNORED)
    flagged = {
        name: types & PLUGIN_TYPES for name, types in by_case.items() if types & PLUGIN_TYPES
    }
    assert not flagged, f"placeholders flagged by the project plugin: {flagged}"


def test_plugin_reports_no_raw_value() -> None:
    """What a report would print: file, line and type; the secret only as a hash."""
    plugin = secret_plugins.ConnectionUrlCredentialsDetector()
    (secret,) = plugin.analyze_line(
        filename="x.env", line=CAUGHT["redis with an empty user"], line_number=3
    )
    assert isinstance(secret, PotentialSecret)
    assert secret.secret_value == ":pw"
    assert ":pw" not in json.dumps(secret.json())
    assert ":pw" not in str(secret)


# -- the templates ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ENV_TEMPLATES)
def test_env_template_holds_nothing_the_scan_flags(name: str) -> None:
    assert (ROOT / name).is_file()
    found = _scan([name], _stock_and_project_config(), ROOT)
    assert not found, f"{name} holds possible secrets (file:line: type):\n  " + "\n  ".join(
        _describe(found)
    )
    # ... and the baseline cannot be hiding any.
    assert name not in _load_baseline()["results"]
