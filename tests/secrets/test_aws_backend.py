"""The AWS Secrets Manager backend, through boto3, against a real moto server.

Every backend here is built with ``endpoint_url`` set to the private moto server and
fake credentials in the environment, so no test can reach (or authenticate to) AWS.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from faceless.secrets.aws import AwsSecretFormatError, AwsSecretsBackend, AwsSecretsError
from faceless.settings import AwsSecretsSettings
from tests.fixtures.moto_server import REGION, MotoServer

# Distinctive fake credentials, so a test can prove they never show up in text.
FAKE_KEY_ID = "AKIAFAKEKEYID0000000"
FAKE_SECRET_KEY = "fake-secret-access-key-do-not-print"
# Secret values carry this marker; no repr, str or error message may contain it.
MARK = "s3cr3t-MARKER"

MakeBackend = Callable[..., AwsSecretsBackend]


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake credentials only; no profile, config file, region or endpoint from outside."""
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER",
        "AWS_SECRET_ID",
        "AWS_SECRETS_TIMEOUT",
        "AWS_MAX_ATTEMPTS",
        "AWS_RETRY_MODE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", "fake-session-token")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def make_backend(moto: MotoServer) -> MakeBackend:
    def make(
        secret_id: str, *, server: MotoServer | None = None, **kwargs: Any
    ) -> AwsSecretsBackend:
        endpoint = (server or moto).endpoint_url
        assert endpoint.startswith("http://127.0.0.1:")  # never a real AWS endpoint
        backend = AwsSecretsBackend(
            secret_id=secret_id, region=REGION, endpoint_url=endpoint, timeout=1.0, **kwargs
        )
        assert backend.endpoint_url == endpoint
        return backend

    return make


def unique_id() -> str:
    return f"faceless/test/{uuid.uuid4().hex}"


def create_secret(moto: MotoServer, payload: str | dict[str, Any]) -> tuple[str, str]:
    """Create a secret; returns (secret id, VersionId)."""
    secret_id = unique_id()
    text = payload if isinstance(payload, str) else json.dumps(payload)
    response = moto.client().create_secret(Name=secret_id, SecretString=text)
    return secret_id, response["VersionId"]


# -- reading -----------------------------------------------------------------------


def test_json_secret_is_expanded_into_keys_with_the_version(
    moto: MotoServer, make_backend: MakeBackend
) -> None:
    secret_id, version = create_secret(
        moto, {"JWT_SIGNING_KEY": f"jwt-{MARK}", "DB_PASSWORD": f"db-{MARK}"}
    )
    backend = make_backend(secret_id)

    jwt = backend.get("JWT_SIGNING_KEY")
    db = backend.get("DB_PASSWORD")

    assert jwt is not None
    assert db is not None
    assert (jwt.name, jwt.reveal(), jwt.backend, jwt.version) == (
        "JWT_SIGNING_KEY",
        f"jwt-{MARK}",
        "aws",
        version,
    )
    assert (db.reveal(), db.version) == (f"db-{MARK}", version)
    assert backend.health() == "ok"


def test_absent_and_empty_keys_are_none(moto: MotoServer, make_backend: MakeBackend) -> None:
    secret_id, _ = create_secret(moto, {"PRESENT": MARK, "EMPTY": ""})
    backend = make_backend(secret_id)

    assert backend.get("ABSENT") is None
    # Empty means unset, as in the env and files backends, so the chain moves on.
    assert backend.get("EMPTY") is None
    assert backend.get("PRESENT") is not None


def test_rotation_is_seen_only_after_reload(moto: MotoServer, make_backend: MakeBackend) -> None:
    secret_id, v1 = create_secret(moto, {"API_KEY": "old-value"})
    backend = make_backend(secret_id)
    before = backend.get("API_KEY")
    assert before is not None
    assert (before.reveal(), before.version) == ("old-value", v1)

    v2 = moto.client().put_secret_value(
        SecretId=secret_id, SecretString=json.dumps({"API_KEY": "new-value", "ADDED": "x"})
    )["VersionId"]
    assert v2 != v1

    # The snapshot holds until reload: one process never mixes two versions.
    stale = backend.get("API_KEY")
    assert stale is not None
    assert (stale.reveal(), stale.version) == ("old-value", v1)
    assert backend.get("ADDED") is None

    backend.reload()

    fresh = backend.get("API_KEY")
    added = backend.get("ADDED")
    assert fresh is not None
    assert added is not None
    assert (fresh.reveal(), fresh.version) == ("new-value", v2)
    assert added.version == v2


def test_missing_secret_id_is_an_empty_store_and_unhealthy(
    moto: MotoServer, make_backend: MakeBackend
) -> None:
    secret_id = unique_id()
    backend = make_backend(secret_id)

    assert backend.get("JWT_SIGNING_KEY") is None
    assert backend.get("ANYTHING") is None
    assert backend.health() == "secret not found"

    # "Not found" is a snapshot like any other: once the secret exists, reload sees it.
    moto.client().create_secret(Name=secret_id, SecretString=json.dumps({"LATE": "here"}))
    assert backend.get("LATE") is None
    backend.reload()
    late = backend.get("LATE")
    assert late is not None
    assert late.reveal() == "here"
    assert backend.health() == "ok"


# -- malformed content ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        pytest.param(f"password={MARK}", "not valid JSON", id="not-json"),
        pytest.param(f'{{"A": "{MARK}"', "not valid JSON", id="truncated-json"),
        pytest.param(json.dumps([MARK]), "not a JSON array", id="array"),
        pytest.param(json.dumps(MARK), "not a JSON string", id="bare-string"),
        pytest.param(json.dumps({"OK": MARK, "PORT": 5432}), "key 'PORT'", id="number-value"),
        pytest.param(json.dumps({"NESTED": {"x": MARK}}), "key 'NESTED'", id="object-value"),
        pytest.param(json.dumps({"FLAG": None}), "key 'FLAG'", id="null-value"),
        pytest.param(f'{{"DUP": "{MARK}", "DUP": "other"}}', "key 'DUP' twice", id="duplicate-key"),
    ],
)
def test_malformed_secret_is_a_clear_error_without_the_content(
    moto: MotoServer, make_backend: MakeBackend, payload: str, expected: str
) -> None:
    secret_id, _ = create_secret(moto, payload)
    backend = make_backend(secret_id)

    with pytest.raises(AwsSecretFormatError) as caught:
        backend.get("OK")

    message = str(caught.value)
    assert expected in message
    assert message.startswith("secret backend 'aws': malformed secret")
    assert MARK not in message
    assert MARK not in repr(caught.value)
    # No chained exception carries the document (JSONDecodeError.doc would).
    assert caught.value.__cause__ is None or MARK not in str(caught.value.__cause__)
    assert MARK not in str(getattr(caught.value.__cause__, "doc", ""))
    health = backend.health()
    assert health.startswith("malformed secret")
    assert MARK not in health


def test_binary_secret_is_a_clear_error(moto: MotoServer, make_backend: MakeBackend) -> None:
    secret_id = unique_id()
    moto.client().create_secret(Name=secret_id, SecretBinary=MARK.encode())
    backend = make_backend(secret_id)

    with pytest.raises(AwsSecretFormatError, match="SecretBinary") as caught:
        backend.get("ANY")
    assert MARK not in str(caught.value)


# -- failures ------------------------------------------------------------------------


def test_stopped_endpoint_raises_after_reload_and_health_says_unreachable(
    make_backend: MakeBackend,
) -> None:
    with MotoServer() as own:  # its own server: this test kills it
        secret_id = unique_id()
        own.client().create_secret(Name=secret_id, SecretString=json.dumps({"KEY": MARK}))
        backend = make_backend(secret_id, server=own)
        assert backend.get("KEY") is not None

        own.stop()

        # The snapshot already read keeps serving until someone asks for a fresh one.
        kept = backend.get("KEY")
        assert kept is not None
        assert kept.reveal() == MARK

        backend.reload()
        with pytest.raises(AwsSecretsError) as caught:
            backend.get("KEY")
        assert caught.value.reason.startswith("unreachable: ")
        assert str(caught.value).startswith("secret backend 'aws': unreachable: ")
        assert backend.health().startswith("unreachable: ")


def test_access_denied_and_bad_credentials_raise_without_credentials(
    moto: MotoServer, make_backend: MakeBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_id, _ = create_secret(moto, {"KEY": MARK})
    iam = moto.iam_client()
    user = f"reader-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)  # no policy: every action is implicitly denied
    key = iam.create_access_key(UserName=user)["AccessKey"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    monkeypatch.delenv("AWS_SESSION_TOKEN")
    denied = make_backend(secret_id)

    moto.enforce_auth()
    try:
        with pytest.raises(AwsSecretsError) as caught:
            denied.get("KEY")
        assert caught.value.reason == "access denied"
        assert denied.health() == "access denied"
        for text in (str(caught.value), repr(caught.value)):
            assert key["SecretAccessKey"] not in text
            assert MARK not in text

        # A key the store never issued. AWS answers UnrecognizedClientException in
        # JSON; moto answers a bare 403 with an XML body botocore cannot read on this
        # JSON API, which the backend can only call "access denied". Either is fine.
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", FAKE_KEY_ID)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", FAKE_SECRET_KEY)
        unknown = make_backend(secret_id)
        with pytest.raises(AwsSecretsError) as caught:
            unknown.get("KEY")
        reason = caught.value.reason
        assert reason == "access denied" or reason.startswith("authentication failed: ")
        assert FAKE_SECRET_KEY not in str(caught.value)
        assert unknown.health() == reason
    finally:
        moto.enforce_auth(enabled=False)


# -- configuration and text ----------------------------------------------------------


def test_from_settings_uses_the_operator_variables(
    moto: MotoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_id, version = create_secret(moto, {"KEY": MARK})
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_SECRET_ID", secret_id)
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto.endpoint_url)
    monkeypatch.setenv("AWS_SECRETS_TIMEOUT", "1.5")

    backend = AwsSecretsBackend.from_settings(AwsSecretsSettings())

    assert (backend.secret_id, backend.region, backend.timeout) == (secret_id, REGION, 1.5)
    assert backend.endpoint_url == moto.endpoint_url
    secret = backend.get("KEY")
    assert secret is not None
    assert secret.version == version


def test_misconfiguration_stops_construction() -> None:
    with pytest.raises(ValueError, match="AWS_SECRET_ID"):
        AwsSecretsBackend.from_settings(AwsSecretsSettings(region=REGION))
    with pytest.raises(ValueError, match="region"):
        AwsSecretsBackend(secret_id="app", endpoint_url="http://127.0.0.1:9")
    with pytest.raises(ValueError, match="must not contain credentials") as caught:
        AwsSecretsBackend(
            secret_id="app", region=REGION, endpoint_url=f"http://user:{MARK}@127.0.0.1:9"
        )
    assert MARK not in str(caught.value)
    with pytest.raises(ValueError, match="http"):
        AwsSecretsBackend(secret_id="app", region=REGION, endpoint_url="ftp://127.0.0.1")


def test_repr_and_str_never_contain_values_or_credentials(
    moto: MotoServer, make_backend: MakeBackend
) -> None:
    secret_id, _ = create_secret(moto, {"KEY": MARK})
    backend = make_backend(secret_id)
    secret = backend.get("KEY")
    assert secret is not None

    texts = [repr(backend), str(backend), f"{backend}", repr(secret), str(secret), f"{secret}"]
    texts.append(repr(vars(backend).get("_secrets")))  # even the cached snapshot
    for text in texts:
        assert MARK not in text
        assert FAKE_KEY_ID not in text
        assert FAKE_SECRET_KEY not in text
    assert secret_id in repr(backend)
