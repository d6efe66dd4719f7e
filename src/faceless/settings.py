"""Typed settings, read once at start-up.

One root :class:`Settings` composed of groups. Every group reads its own flat
environment variables (the names in API.md's operator table are fixed), so a
test or a tool can build any group explicitly and override one value without
touching the process environment. Secret *values* never live here: they are
read through :mod:`faceless.secrets`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationInfo, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from faceless.loopback import https_unless_loopback


class Environment(StrEnum):
    DEVELOPMENT = "development"
    STAGING = "staging"
    PRODUCTION = "production"


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


CsvList = Annotated[list[str], NoDecode]


class _AliasOnlyEnvSource(EnvSettingsSource):
    """Environment variables by their documented names only.

    ``populate_by_name`` (so code and tests can write ``VaultSettings(path=...)``) would
    otherwise make pydantic-settings also read a variable named like the *field*: the
    Vault path would come from ``$PATH``, the database URL from any ``$URL``.
    """

    def _extract_field_info(
        self, field: FieldInfo, field_name: str, model_config: Mapping[str, Any] | None = None
    ) -> list[tuple[str, str, bool]]:
        found = super()._extract_field_info(field, field_name, model_config)
        if field.validation_alias is None:
            return found
        return [entry for entry in found if entry[0] != field_name]


class _Group(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # No dotenv or secrets-dir source: secrets are read by faceless.secrets only.
        return (init_settings, _AliasOnlyEnvSource(settings_cls))


class PathSettings(_Group):
    var_dir: Path = Field(default=Path("var"), validation_alias="FACELESS_VAR_DIR")

    @property
    def uploads(self) -> Path:
        return self.var_dir / "uploads"

    @property
    def outbox(self) -> Path:
        return self.var_dir / "outbox"

    @property
    def media(self) -> Path:
        """Rendered videos, one file per video named by its id (PUT /videos/{id}/media)."""
        return self.var_dir / "media"

    @property
    def thumbnails(self) -> Path:
        """Thumbnails, one file per video named by its id (PUT /videos/{id}/thumbnail)."""
        return self.var_dir / "thumbnails"

    def media_file(self, video_id: uuid.UUID) -> Path:
        """A video's media: no extension, its content type is in the video's row."""
        return self.media / str(video_id)

    def thumbnail_file(self, video_id: uuid.UUID) -> Path:
        return self.thumbnails / str(video_id)


class DatabaseSettings(_Group):
    # URLs carry passwords: kept out of repr (and so out of logs and tracebacks).
    url: str | None = Field(default=None, validation_alias="DATABASE_URL", repr=False)
    # The migration owner (DDL). Unset: migrations use DATABASE_URL, as in development.
    migration_url: str | None = Field(
        default=None, validation_alias="DATABASE_MIGRATION_URL", repr=False
    )
    pool_size: int = Field(default=10, ge=1, validation_alias="DATABASE_POOL_SIZE")
    echo: bool = Field(default=False, validation_alias="DATABASE_ECHO")


class RedisSettings(_Group):
    url: str | None = Field(default=None, validation_alias="REDIS_URL", repr=False)
    socket_timeout: float = Field(default=1.0, gt=0, validation_alias="REDIS_SOCKET_TIMEOUT")


class SecretsSettings(_Group):
    backends: CsvList = Field(default=["files", "env"], validation_alias="SECRETS_BACKENDS")
    directory: Path | None = Field(default=None, validation_alias="SECRETS_DIR")
    cache_ttl_seconds: float = Field(default=300.0, ge=0, validation_alias="SECRETS_CACHE_TTL")

    # .env is a development convenience; production refuses it unless this says yes.
    dotenv_file: Path = Field(default=Path(".env"), validation_alias="SECRETS_DOTENV_FILE")
    allow_dotenv_in_production: bool = Field(default=False, validation_alias="SECRETS_ALLOW_DOTENV")

    _split = field_validator("backends", mode="before")(_split_csv)


class VaultSettings(_Group):
    """HashiCorp Vault (or OpenBao) KV v2. Credentials (VAULT_TOKEN or VAULT_SECRET_ID)
    are secrets: they are read from the environment or the secrets directory, never here."""

    addr: str | None = Field(default=None, validation_alias="VAULT_ADDR")
    mount: str = Field(default="secret", validation_alias="VAULT_MOUNT")
    path: str = Field(default="faceless", validation_alias="VAULT_PATH")
    namespace: str | None = Field(default=None, validation_alias="VAULT_NAMESPACE")
    role_id: str | None = Field(default=None, validation_alias="VAULT_ROLE_ID")
    approle_mount: str = Field(default="approle", validation_alias="VAULT_APPROLE_MOUNT")
    ca_file: Path | None = Field(default=None, validation_alias="VAULT_CACERT")
    timeout_seconds: float = Field(default=3.0, gt=0, validation_alias="VAULT_TIMEOUT")


class AwsSecretsSettings(_Group):
    """AWS Secrets Manager; credentials come from boto3's usual chain, never from here."""

    region: str | None = Field(default=None, validation_alias="AWS_REGION")
    secret_id: str | None = Field(default=None, validation_alias="AWS_SECRET_ID")
    endpoint_url: str | None = Field(default=None, validation_alias="AWS_ENDPOINT_URL")
    timeout_seconds: float = Field(default=3.0, gt=0, validation_alias="AWS_SECRETS_TIMEOUT")


class HttpSettings(_Group):
    public_url: str = Field(default="https://localhost:8443", validation_alias="PUBLIC_URL")
    allowed_hosts: CsvList = Field(
        default=["localhost", "127.0.0.1", "::1"], validation_alias="ALLOWED_HOSTS"
    )
    cors_origins: CsvList = Field(default=[], validation_alias="CORS_ORIGINS")
    trusted_proxies: CsvList = Field(default=[], validation_alias="TRUSTED_PROXIES")
    metrics_allow: CsvList = Field(default=["127.0.0.1", "::1"], validation_alias="METRICS_ALLOW")
    max_json_bytes: int = Field(default=1024 * 1024, ge=1024, validation_alias="MAX_JSON_BYTES")
    max_upload_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1024, validation_alias="MAX_UPLOAD_BYTES"
    )
    # A rendered video (PUT /videos/{id}/media): streamed to disk, never held in memory.
    max_media_bytes: int = Field(
        default=2 * 1024 * 1024 * 1024, ge=1024, validation_alias="MAX_MEDIA_BYTES"
    )
    docs_enabled: bool = Field(default=True, validation_alias="DOCS_ENABLED")
    # Bounds on every listener `faceless serve` runs (security/http_bounds) and in nginx.
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, validation_alias="MAX_HEADER_BYTES")
    header_timeout_seconds: float = Field(
        default=30.0, gt=0, validation_alias="HEADER_TIMEOUT_SECONDS"
    )
    body_timeout_seconds: float = Field(default=30.0, gt=0, validation_alias="BODY_TIMEOUT_SECONDS")
    max_connections: int = Field(default=1000, ge=1, validation_alias="MAX_CONNECTIONS")

    _split = field_validator(
        "allowed_hosts", "cors_origins", "trusted_proxies", "metrics_allow", mode="before"
    )(_split_csv)

    @field_validator("public_url")
    @classmethod
    def _public_url_is_origin(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")) or value.count("/") != 2:
            raise ValueError("PUBLIC_URL must be an origin like https://host[:port]")
        return value.rstrip("/")


class SecuritySettings(_Group):
    hsts_max_age: int = Field(default=63072000, ge=0, validation_alias="HSTS_MAX_AGE")
    # Preload commits the whole domain to HTTPS in browsers' built-in lists: opt-in only.
    hsts_preload: bool = Field(default=False, validation_alias="HSTS_PRELOAD")
    legacy_xss_filter: bool = Field(default=False, validation_alias="XSS_PROTECTION_LEGACY")
    # "tier=rate" overrides, e.g. "login=10/minute,default=300/minute".
    rate_limits: CsvList = Field(default=[], validation_alias="RATE_LIMITS")
    rate_limit_fail_closed: CsvList = Field(
        default=["login", "refresh"], validation_alias="RATE_LIMIT_FAIL_CLOSED"
    )

    _split = field_validator("rate_limits", "rate_limit_fail_closed", mode="before")(_split_csv)

    @property
    def rate_limit_overrides(self) -> dict[str, str]:
        overrides = {}
        for entry in self.rate_limits:
            name, sep, rate = entry.partition("=")
            if not sep:
                raise ValueError(f"RATE_LIMITS entry {entry!r} is not tier=rate")
            overrides[name.strip()] = rate.strip()
        return overrides


class TlsSettings(_Group):
    """The server's own TLS listener. Unset files default to ``<var>/tls/`` (dev certs)."""

    cert_file: Path | None = Field(default=None, validation_alias="TLS_CERT_FILE")
    key_file: Path | None = Field(default=None, validation_alias="TLS_KEY_FILE")
    # Only shown to users (to trust it); the server never sends the root.
    ca_file: Path | None = Field(default=None, validation_alias="TLS_CA_FILE")


class AuthSettings(_Group):
    access_token_seconds: int = Field(default=900, ge=60, validation_alias="ACCESS_TOKEN_SECONDS")
    refresh_token_seconds: int = Field(
        default=14 * 24 * 3600, ge=300, validation_alias="REFRESH_TOKEN_SECONDS"
    )
    audience: str = "faceless-api"
    max_concurrent_hashes: int = Field(default=2, ge=1, validation_alias="MAX_CONCURRENT_HASHES")


class AuditSettings(_Group):
    """Off-database export of the audit chain head (sequence, hash, HMAC)."""

    head_file: Path | None = Field(default=None, validation_alias="AUDIT_HEAD_FILE")
    export_seconds: float = Field(default=60, gt=0, validation_alias="AUDIT_HEAD_EXPORT_SECONDS")
    export_events: int = Field(default=1000, ge=1, validation_alias="AUDIT_HEAD_EXPORT_EVENTS")


class WorkerSettings(_Group):
    max_audio_seconds: float = Field(default=30 * 60, gt=0, validation_alias="MAX_AUDIO_SECONDS")
    whisper_model_path: Path | None = Field(default=None, validation_alias="WHISPER_MODEL_PATH")
    stale_job_seconds: float = Field(default=600, gt=0, validation_alias="STALE_JOB_SECONDS")
    heartbeat_seconds: float = Field(default=10, gt=0, validation_alias="JOB_HEARTBEAT_SECONDS")
    max_attempts: int = Field(default=3, ge=1, validation_alias="JOB_MAX_ATTEMPTS")
    scheduler_interval_seconds: float = Field(
        default=5, gt=0, validation_alias="SCHEDULER_INTERVAL_SECONDS"
    )
    embedded_workers: int = Field(default=1, ge=1, validation_alias="EMBEDDED_WORKERS")
    # Queued or running jobs one user may have; more uploads are a 429 (never a publish).
    max_queued_jobs_per_user: int = Field(
        default=20, ge=1, validation_alias="MAX_QUEUED_JOBS_PER_USER"
    )


class AnthropicSettings(_Group):
    """Optional LLM suggestions in the analysis (on when the secret ANTHROPIC_API_KEY is set)."""

    base_url: str = Field(
        default="https://api.anthropic.com", validation_alias="ANTHROPIC_BASE_URL"
    )
    model: str = Field(
        default="claude-haiku-4-5", min_length=1, max_length=200, validation_alias="ANTHROPIC_MODEL"
    )
    # The whole call, connection included: the analysis waits at most this long for it.
    timeout_seconds: float = Field(
        default=10.0, gt=0, le=120, validation_alias="ANTHROPIC_TIMEOUT_SECONDS"
    )

    @field_validator("base_url")
    @classmethod
    def _key_only_over_tls(cls, value: str) -> str:
        # The API key travels in a header: plain http only to this host (a local proxy or
        # a test double), never across a network.
        return https_unless_loopback("ANTHROPIC_BASE_URL", value)


class YouTubeSettings(_Group):
    """Where the YouTube publisher talks to Google (tokens travel there: https unless on
    this host), and its per-account daily quota."""

    api_base_url: str = Field(
        default="https://www.googleapis.com", validation_alias="YOUTUBE_API_BASE_URL"
    )
    upload_base_url: str = Field(
        default="https://www.googleapis.com/upload", validation_alias="YOUTUBE_UPLOAD_BASE_URL"
    )
    token_url: str = Field(
        default="https://oauth2.googleapis.com/token", validation_alias="YOUTUBE_TOKEN_URL"
    )
    # Google's default project quota; one upload with captions and thumbnail costs 2,050.
    daily_quota_units: int = Field(
        default=10_000, ge=1, le=100_000_000, validation_alias="YOUTUBE_DAILY_QUOTA_UNITS"
    )

    @field_validator("api_base_url", "upload_base_url", "token_url")
    @classmethod
    def _credentials_only_over_tls(cls, value: str, info: ValidationInfo) -> str:
        field = cls.model_fields[info.field_name or ""]
        return https_unless_loopback(str(field.validation_alias), value)


class BackupSettings(_Group):
    """``faceless backup``: where backups go and how many are kept."""

    directory: Path | None = Field(default=None, validation_alias="BACKUP_DIR")
    keep: int = Field(default=7, ge=1, validation_alias="BACKUP_KEEP")


class Settings(BaseModel):
    """The whole configuration. Build with :func:`load_settings` or field by field in tests."""

    model_config = {"frozen": True}

    env: Environment = Environment.DEVELOPMENT
    paths: PathSettings = Field(default_factory=PathSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    secrets: SecretsSettings = Field(default_factory=SecretsSettings)
    vault: VaultSettings = Field(default_factory=VaultSettings)
    aws: AwsSecretsSettings = Field(default_factory=AwsSecretsSettings)
    http: HttpSettings = Field(default_factory=HttpSettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    tls: TlsSettings = Field(default_factory=TlsSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    anthropic: AnthropicSettings = Field(default_factory=AnthropicSettings)
    youtube: YouTubeSettings = Field(default_factory=YouTubeSettings)
    backup: BackupSettings = Field(default_factory=BackupSettings)

    @property
    def database_url(self) -> str:
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{(self.paths.var_dir / 'faceless.db').resolve()}"

    @property
    def secrets_dir(self) -> Path:
        return self.secrets.directory or self.paths.var_dir / "secrets"

    @property
    def audit_head_file(self) -> Path:
        return self.audit.head_file or self.paths.var_dir / "audit" / "head.json"

    @property
    def backup_dir(self) -> Path:
        return self.backup.directory or self.paths.var_dir / "backups"

    @property
    def backup_state_file(self) -> Path:
        """What the last successful ``faceless backup create`` left (for the metric)."""
        return self.paths.var_dir / "backup-state.json"

    @property
    def tls_dir(self) -> Path:
        return self.paths.var_dir / "tls"

    @property
    def tls_cert_file(self) -> Path:
        return self.tls.cert_file or self.tls_dir / "cert.pem"

    @property
    def tls_key_file(self) -> Path:
        return self.tls.key_file or self.tls_dir / "key.pem"

    @property
    def tls_ca_file(self) -> Path:
        return self.tls.ca_file or self.tls_dir / "ca.pem"

    @property
    def is_development(self) -> bool:
        return self.env is Environment.DEVELOPMENT

    @property
    def issuer(self) -> str:
        return self.http.public_url


class _RootEnv(_Group):
    env: Environment = Field(default=Environment.DEVELOPMENT, validation_alias="FACELESS_ENV")


def load_settings() -> Settings:
    """Read every group from the process environment."""
    return Settings(env=_RootEnv().env)
