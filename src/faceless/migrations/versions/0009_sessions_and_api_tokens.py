"""sessions and API tokens: where a session signed in from, when it was last used; API tokens

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 12:00:00

``auth_sessions`` gains ``last_used_at``, ``ip`` and ``user_agent`` (all nullable: the
sessions that exist already have none of them). ``api_tokens`` holds only HMACs of the
tokens (under ``API_TOKEN_HMAC_KEY``, which the migration never sees).

On PostgreSQL, as 0004 does: DML (SELECT, INSERT, UPDATE, DELETE, no TRUNCATE) on the
new table to the runtime group ``faceless_runtime`` when the role exists. No column is
encrypted, so there is no column audit grant. Dropping the table drops its grant.
"""

from collections.abc import Sequence
from logging import getLogger

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = getLogger("alembic.runtime.migration")

RUNTIME_GROUP = "faceless_runtime"
# A literal statement only (tests/static rejects SQL assembled from strings).
RUNTIME_GRANT = "GRANT SELECT, INSERT, UPDATE, DELETE ON api_tokens TO faceless_runtime"


def _role_exists(bind: Connection, name: str) -> bool:
    found = bind.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found is not None


def upgrade() -> None:
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("ip", sa.String(length=45), nullable=True))
        batch_op.add_column(sa.Column("user_agent", sa.String(length=256), nullable=True))
    op.create_table(
        "api_tokens",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("scopes", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if _role_exists(bind, RUNTIME_GROUP):
        op.execute(RUNTIME_GRANT)
    else:
        log.warning(
            "role %s does not exist: its grant on api_tokens is skipped; create it "
            "(deploy/postgres/pg_audit_init.sh) and run this revision's GRANT "
            "(faceless db verify fails until then)",
            RUNTIME_GROUP,
        )


def downgrade() -> None:
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))
    op.drop_table("api_tokens")
    with op.batch_alter_table("auth_sessions", schema=None) as batch_op:
        batch_op.drop_column("user_agent")
        batch_op.drop_column("ip")
        batch_op.drop_column("last_used_at")
