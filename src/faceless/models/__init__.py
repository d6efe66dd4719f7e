"""ORM models, one module per table; imported here so Alembic sees one metadata."""

from faceless.models.api_token import ApiToken
from faceless.models.audit_event import AuditEvent, AuditHead, AuditInbox
from faceless.models.auth_session import AuthSession, RefreshToken
from faceless.models.job import Job, JobKind, JobStatus
from faceless.models.login_throttle import LoginThrottle
from faceless.models.mfa import RecoveryCode, TotpCredential
from faceless.models.publisher_credential import PublisherCredential
from faceless.models.publisher_quota import PublisherQuotaUsage
from faceless.models.publisher_status import PublisherStatus
from faceless.models.schedule import Schedule, ScheduleStatus
from faceless.models.user import Role, User
from faceless.models.video import Privacy, Video, VideoStatus

__all__ = [
    "ApiToken",
    "AuditEvent",
    "AuditHead",
    "AuditInbox",
    "AuthSession",
    "Job",
    "JobKind",
    "JobStatus",
    "LoginThrottle",
    "Privacy",
    "PublisherCredential",
    "PublisherQuotaUsage",
    "PublisherStatus",
    "RecoveryCode",
    "RefreshToken",
    "Role",
    "Schedule",
    "ScheduleStatus",
    "TotpCredential",
    "User",
    "Video",
    "VideoStatus",
]
