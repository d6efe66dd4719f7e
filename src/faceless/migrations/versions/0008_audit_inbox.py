"""audit inbox: events committed with their action, waiting for the sequencer to chain them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04 22:30:00

``record`` inserts into ``audit_inbox`` inside the caller's transaction; after the
commit the sequencer moves the committed rows, in id order, into ``audit_events``
(with their chain ids and hashes) and deletes them from the inbox, in a short
transaction of its own (docs/adr/0022-audit-sequencer.md). The inbox id only orders
pending rows.

On PostgreSQL the runtime group ``faceless_runtime`` gets SELECT, INSERT and DELETE
on the table (no UPDATE: a pending event is never changed, only chained and removed)
and USAGE on its id sequence, when the role exists (0003 created it or warned). The
append-only guard stays on ``audit_events``: the inbox is a queue, not the trail.
Dropping the table in the downgrade drops its grants and sequence with it; pending
rows must be chained first (the downgrade refuses to drop events).
"""

from collections.abc import Sequence
from logging import getLogger

import sqlalchemy as sa
from alembic import op
from sqlalchemy.engine import Connection

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = getLogger("alembic.runtime.migration")

RUNTIME_GROUP = "faceless_runtime"

# Literal statements only (tests/static rejects SQL assembled from strings).
RUNTIME_GRANTS = (
    "GRANT SELECT, INSERT, DELETE ON audit_inbox TO faceless_runtime",
    "GRANT USAGE ON SEQUENCE audit_inbox_id_seq TO faceless_runtime",
)


def _role_exists(bind: Connection, name: str) -> bool:
    found = bind.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name})
    return found is not None


def upgrade() -> None:
    op.create_table(
        "audit_inbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=True),
        sa.Column("actor_ip", sa.String(length=45), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_inbox")),
    )
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if _role_exists(bind, RUNTIME_GROUP):
        for grant in RUNTIME_GRANTS:
            op.execute(grant)
    else:
        log.warning(
            "role %s does not exist: its grants on audit_inbox are skipped; create it "
            "(deploy/postgres/pg_audit_init.sh) and run this revision's GRANTs "
            "(faceless db verify fails until then)",
            RUNTIME_GROUP,
        )


def downgrade() -> None:
    pending = op.get_bind().scalar(sa.text("SELECT count(*) FROM audit_inbox"))
    if pending:
        raise RuntimeError(
            f"audit_inbox holds {pending} events not chained yet: start the application "
            "(or run `faceless audit verify`, which chains them) before downgrading"
        )
    op.drop_table("audit_inbox")
