"""multi-factor sign-in: TOTP credentials (encrypted) and hashed single-use recovery codes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 09:00:00

``totp_credentials.secret`` and ``pending_secret`` hold only AES-GCM envelopes (sealed
with table, column and the user's id as associated data); the migration never sees the
data key. ``recovery_codes.code_hash`` is a SHA-256 of a code that is shown once.

On PostgreSQL, as 0003 and 0004 do: DML (SELECT, INSERT, UPDATE, DELETE, no TRUNCATE)
on both tables to the runtime group ``faceless_runtime``, and column-level object audit
of the two secret columns (SELECT, INSERT, UPDATE) to ``pgaudit_admin``, each when the
role exists. Neither table has a sequence. Dropping the tables drops their grants.
"""

from collections.abc import Sequence
from logging import getLogger

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = getLogger("alembic.runtime.migration")

RUNTIME_GROUP = "faceless_runtime"
AUDIT_ROLE = "pgaudit_admin"

# Literal statements only (tests/static rejects SQL assembled from strings).
RUNTIME_GRANT = (
    "GRANT SELECT, INSERT, UPDATE, DELETE ON totp_credentials, recovery_codes TO faceless_runtime"
)
AUDIT_GRANT = (
    "GRANT SELECT (secret, pending_secret), INSERT (secret, pending_secret),"
    " UPDATE (secret, pending_secret) ON totp_credentials TO pgaudit_admin"
)


def _role_exists(bind: Connection, name: str) -> bool:
    found = bind.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found is not None


def upgrade() -> None:
    op.create_table(
        "totp_credentials",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=True),
        sa.Column("pending_secret", sa.Text(), nullable=True),
        sa.Column("enabled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_totp_credentials_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_totp_credentials")),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for role, grant in ((RUNTIME_GROUP, RUNTIME_GRANT), (AUDIT_ROLE, AUDIT_GRANT)):
        if _role_exists(bind, role):
            op.execute(grant)
        else:
            log.warning(
                "role %s does not exist: its grant on the MFA tables is skipped; "
                "create it (deploy/postgres/pg_audit_init.sh) and run this revision's GRANT "
                "(faceless db verify fails until then)",
                role,
            )


def downgrade() -> None:
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recovery_codes_user_id"))
    op.drop_table("recovery_codes")
    op.drop_table("totp_credentials")
