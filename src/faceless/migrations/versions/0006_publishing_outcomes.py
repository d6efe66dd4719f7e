"""publishing outcomes: schedule detail and deferral, YouTube id, quota usage, credential status

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 12:00:00

``schedules.detail`` says why a schedule waits or failed; ``schedules.not_before`` holds
a deferred schedule back (the day's quota is spent, or YouTube is rate limiting);
``videos.youtube_id`` is the id YouTube gave the published video.
``publisher_quota_usage`` counts the units each account spent per quota day (Google's
day, America/Los_Angeles); ``publisher_status`` remembers credentials the provider
refused. Neither holds a secret.

On PostgreSQL, as 0004: DML to the runtime group ``faceless_runtime`` on the two new
tables when the role exists (no column-level object audit: nothing in them is sensitive).
"""

from collections.abc import Sequence
from logging import getLogger

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = getLogger("alembic.runtime.migration")

RUNTIME_GROUP = "faceless_runtime"
# Literal statements only (tests/static rejects SQL assembled from strings).
GRANTS = (
    "GRANT SELECT, INSERT, UPDATE, DELETE ON publisher_quota_usage TO faceless_runtime",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON publisher_status TO faceless_runtime",
)


def _role_exists(bind: Connection, name: str) -> bool:
    found = bind.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found is not None


def upgrade() -> None:
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detail", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("not_before", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.add_column(sa.Column("youtube_id", sa.String(length=32), nullable=True))
    op.create_table(
        "publisher_quota_usage",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "provider", "account", "day", name=op.f("pk_publisher_quota_usage")
        ),
    )
    op.create_table(
        "publisher_status",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("credentials_invalid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publisher_status")),
        sa.UniqueConstraint("provider", "account", name=op.f("uq_publisher_status_provider")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if not _role_exists(bind, RUNTIME_GROUP):
        log.warning(
            "role %s does not exist: its grants on publisher_quota_usage and publisher_status "
            "are skipped; create it (deploy/postgres/pg_audit_init.sh) and run this revision's "
            "GRANTs (faceless db verify fails until then)",
            RUNTIME_GROUP,
        )
        return
    for grant in GRANTS:
        op.execute(grant)


def downgrade() -> None:
    op.drop_table("publisher_status")
    op.drop_table("publisher_quota_usage")
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.drop_column("youtube_id")
    with op.batch_alter_table("schedules", schema=None) as batch_op:
        batch_op.drop_column("not_before")
        batch_op.drop_column("detail")
