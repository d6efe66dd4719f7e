"""Secrets from AWS Secrets Manager: one JSON secret expanded into named keys.

Design:

- One AWS secret (``AWS_SECRET_ID``, a name or ARN) holds a JSON object of
  ``NAME -> string``. Its ``AWSCURRENT`` version is read once and kept as a snapshot
  until :meth:`AwsSecretsBackend.reload`, so one process never mixes two versions
  of the store and rotation takes effect exactly when the operator reloads.
- Credentials come only from boto3's own chain (environment, profile, instance or
  task role). Nothing here accepts, stores or prints them.
- Every call is bounded: connect and read timeouts plus a small retry budget, so a
  dead or black-holed endpoint fails after at most
  ``max_attempts * 2 * timeout`` seconds plus about one second of retry backoff.
- A secret id that does not exist is an *empty store*: ``get`` returns None for
  every name, so the fallback chain moves on, and ``health()`` says
  ``"secret not found"``. Everything else (access denied, no credentials,
  unreachable endpoint, malformed content) raises :class:`AwsSecretsError`,
  because a store we cannot read must not silently fall back to a weaker one.
- Error messages and health reasons carry the backend name and an error *class*
  only: never a value, a credential, or the secret's content.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    HTTPClientError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from faceless.secrets.base import Secret
from faceless.secrets.errors import SafeSecretError

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient

    from faceless.settings import AwsSecretsSettings

__all__ = ["AwsSecretFormatError", "AwsSecretsBackend", "AwsSecretsError"]

# Total attempts per call (the first one included): one retry rides out a dropped
# connection or a throttle without letting a dead endpoint stall start-up for long.
DEFAULT_MAX_ATTEMPTS: Final = 2

_NOT_FOUND: Final = "ResourceNotFoundException"
_ACCESS_DENIED: Final = frozenset({"AccessDeniedException", "AccessDenied"})
# The signature or key was rejected before authorization was even considered.
_AUTH_FAILED: Final = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "ExpiredTokenException",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
    }
)


class AwsSecretsError(SafeSecretError):
    """The AWS backend could not produce a usable snapshot.

    ``reason`` is the short, value-free text that ``health()`` reports too.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(f"secret backend 'aws': {reason}")
        self.reason = reason


class AwsSecretFormatError(AwsSecretsError):
    """The secret exists but is not a JSON object of NAME -> string."""


class AwsSecretsBackend:
    name = "aws"

    def __init__(
        self,
        *,
        secret_id: str,
        region: str | None = None,
        endpoint_url: str | None = None,
        timeout: float = 3.0,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    ) -> None:
        if not secret_id:
            raise ValueError("AWS_SECRET_ID must name the secret for the aws secret backend")
        if timeout <= 0:
            raise ValueError("AWS_SECRETS_TIMEOUT must be positive")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if endpoint_url is not None:
            _check_endpoint_url(endpoint_url)
        self.secret_id = secret_id
        self.timeout = timeout
        self.max_attempts = max_attempts
        self._client = _make_client(region, endpoint_url, timeout, max_attempts)
        # None means "not read yet"; an empty mapping is a real, empty store.
        self._secrets: Mapping[str, Secret] | None = None
        # One reader at a time: concurrent first reads share one GetSecretValue call.
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: AwsSecretsSettings) -> AwsSecretsBackend:
        if not settings.secret_id:
            raise ValueError("the aws secret backend needs AWS_SECRET_ID (a secret name or ARN)")
        return cls(
            secret_id=settings.secret_id,
            region=settings.region,
            endpoint_url=settings.endpoint_url,
            timeout=settings.timeout_seconds,
        )

    @property
    def region(self) -> str:
        return self._client.meta.region_name

    @property
    def endpoint_url(self) -> str:
        return self._client.meta.endpoint_url

    def __repr__(self) -> str:
        return (
            f"AwsSecretsBackend(secret_id={self.secret_id!r}, region={self.region!r}, "
            f"endpoint_url={self.endpoint_url!r})"
        )

    __str__ = __repr__

    # -- SecretBackend -----------------------------------------------------------

    def get(self, name: str) -> Secret | None:
        return self._snapshot().get(name)

    def reload(self) -> None:
        with self._lock:
            self._secrets = None

    def health(self) -> str:
        """Probe the store live (one GetSecretValue); the snapshot is left alone.

        Live rather than "how did the last read go", so a store that died after
        start-up shows up here before anything reloads.
        """
        try:
            found = self._fetch() is not None
        except AwsSecretsError as exc:
            return exc.reason
        except Exception as exc:  # health must never raise
            return f"error: {type(exc).__name__}"
        return "ok" if found else "secret not found"

    # -- internals ---------------------------------------------------------------

    def _snapshot(self) -> Mapping[str, Secret]:
        with self._lock:
            if self._secrets is None:
                # A failed read is not cached: the next get tries the store again.
                self._secrets = self._fetch() or {}
            return self._secrets

    def _fetch(self) -> dict[str, Secret] | None:
        """The current version as Secrets, or None if the secret does not exist."""
        try:
            response = self._client.get_secret_value(
                SecretId=self.secret_id, VersionStage="AWSCURRENT"
            )
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "unknown"))
            if code == _NOT_FOUND:
                return None
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            raise AwsSecretsError(_client_error_reason(code, status)) from exc
        except (BotoConnectionError, HTTPClientError) as exc:
            raise AwsSecretsError(f"unreachable: {type(exc).__name__}") from exc
        except (NoCredentialsError, PartialCredentialsError) as exc:
            raise AwsSecretsError(f"no credentials: {type(exc).__name__}") from exc
        except BotoCoreError as exc:
            raise AwsSecretsError(f"error: {type(exc).__name__}") from exc
        if "SecretString" not in response:
            raise AwsSecretFormatError(
                "malformed secret: it holds SecretBinary; expected a JSON object in SecretString"
            )
        return _parse(response["SecretString"], version=response.get("VersionId"))


def _client_error_reason(code: str, status: int | None) -> str:
    if code in _ACCESS_DENIED:
        return "access denied"
    if code in _AUTH_FAILED:
        return f"authentication failed: {code}"
    if code == "DecryptionFailure":
        return "decryption failed: the KMS key could not decrypt the secret"
    if status in (401, 403):
        # A body botocore could not parse (a proxy, or moto's XML auth errors on this
        # JSON API) leaves only the status as the code; 403 here still means denied.
        return "access denied"
    return f"error: {code}"


def _parse(secret_string: str, *, version: str | None) -> dict[str, Secret]:
    try:
        data = json.loads(secret_string, object_pairs_hook=_reject_duplicate_keys)
    except (ValueError, RecursionError) as exc:
        # ``from None``: JSONDecodeError keeps the whole document in ``.doc``, and a
        # traceback renderer that shows causes or locals would print the secret.
        message = exc.args[0] if isinstance(exc, _DuplicateKeyError) else "not valid JSON"
        raise AwsSecretFormatError(f"malformed secret: SecretString is {message}") from None
    if not isinstance(data, dict):
        raise AwsSecretFormatError(
            "malformed secret: SecretString must be a JSON object of NAME -> string, "
            f"not a JSON {_kind(data)}"
        )
    secrets: dict[str, Secret] = {}
    for key, value in data.items():
        if not isinstance(value, str):
            raise AwsSecretFormatError(
                f"malformed secret: key {key!r} must map to a JSON string, "
                f"not a JSON {_kind(value)}"
            )
        # Empty means unset, as in the env and files backends: let the chain move on.
        if value:
            secrets[key] = Secret(key, value, backend=AwsSecretsBackend.name, version=version)
    return secrets


class _DuplicateKeyError(ValueError):
    pass


def _reject_duplicate_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    # json keeps the last of two equal keys silently; in a secret store that hides
    # which value is live, so refuse it.
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKeyError(f"a JSON object with the key {key!r} twice")
        result[key] = value
    return result


def _kind(value: object) -> str:
    kinds: dict[type, str] = {
        list: "array",
        dict: "object",
        bool: "boolean",
        int: "number",
        float: "number",
        str: "string",
    }
    return "null" if value is None else kinds.get(type(value), type(value).__name__)


def _check_endpoint_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("AWS_ENDPOINT_URL must be an http(s) URL like https://host[:port]")
    if parts.username is not None or parts.password is not None:
        # Credentials come from boto3's chain; a URL would leak them into logs and repr.
        raise ValueError("AWS_ENDPOINT_URL must not contain credentials")


def _make_client(
    region: str | None, endpoint_url: str | None, timeout: float, max_attempts: int
) -> SecretsManagerClient:
    config = Config(
        connect_timeout=timeout,
        read_timeout=timeout,
        retries={"mode": "standard", "total_max_attempts": max_attempts},
    )
    try:
        # A private session: the default one is shared module state and not thread-safe.
        session = boto3.session.Session(region_name=region)
        return session.client("secretsmanager", endpoint_url=endpoint_url, config=config)
    except NoRegionError:
        raise ValueError(
            "the aws secret backend needs a region: set AWS_REGION (or AWS_DEFAULT_REGION)"
        ) from None
