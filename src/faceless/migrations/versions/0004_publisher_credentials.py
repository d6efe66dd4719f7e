"""publisher credentials: OAuth values of publishing accounts, encrypted in the application

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 12:00:00

``credentials`` holds only AES-GCM envelopes (a JSON document sealed with table, column
and row id as associated data); the migration never sees the data key.

On PostgreSQL, as 0003 does for the tables it found: DML (SELECT, INSERT, UPDATE,
DELETE, no TRUNCATE) to the runtime group ``faceless_runtime``, and column-level object
audit of ``credentials`` (SELECT, INSERT, UPDATE) to ``pgaudit_admin``, each when the
role exists (0003 created it or warned). The table has no sequence. Dropping the table
in the downgrade drops its grants with it.
"""

from collections.abc import Sequence
from logging import getLogger

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = getLogger("alembic.runtime.migration")

RUNTIME_GROUP = "faceless_runtime"
AUDIT_ROLE = "pgaudit_admin"

# Literal statements only (tests/static rejects SQL assembled from strings).
RUNTIME_GRANT = "GRANT SELECT, INSERT, UPDATE, DELETE ON publisher_credentials TO faceless_runtime"
AUDIT_GRANT = (
    "GRANT SELECT (credentials), INSERT (credentials), UPDATE (credentials)"
    " ON publisher_credentials TO pgaudit_admin"
)


def _role_exists(bind: Connection, name: str) -> bool:
    found = bind.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found is not None


def upgrade() -> None:
    op.create_table(
        "publisher_credentials",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("credentials", sa.Text(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publisher_credentials")),
        sa.UniqueConstraint("provider", "account", name=op.f("uq_publisher_credentials_provider")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for role, grant in ((RUNTIME_GROUP, RUNTIME_GRANT), (AUDIT_ROLE, AUDIT_GRANT)):
        if _role_exists(bind, role):
            op.execute(grant)
        else:
            log.warning(
                "role %s does not exist: its grant on publisher_credentials is skipped; "
                "create it (deploy/postgres/pg_audit_init.sh) and run this revision's GRANT "
                "(faceless db verify fails until then)",
                role,
            )


def downgrade() -> None:
    op.drop_table("publisher_credentials")
