"""encrypted columns: e-mail as an envelope plus a keyed blind index

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:20:00

Schema only: migrations never see DATA_ENCRYPTION_KEY, so rows written before this
revision keep their plaintext (e-mail, script, transcript) and have no e-mail index until
``faceless keys rotate`` seals them; the application refuses to read an unsealed value.
``videos.script`` and ``jobs.result`` are already TEXT and change only in meaning.
The downgrade restores the old schema but not plaintext: it cannot decrypt.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        # Equal e-mails seal to different envelopes: uniqueness moves to the index.
        batch_op.drop_constraint("uq_users_email", type_="unique")
        batch_op.alter_column(
            "email", existing_type=sa.String(length=320), type_=sa.Text(), existing_nullable=True
        )
        batch_op.add_column(sa.Column("email_index", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_email_index"), ["email_index"])


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_email_index"), type_="unique")
        batch_op.drop_column("email_index")
        batch_op.alter_column(
            "email", existing_type=sa.Text(), type_=sa.String(length=320), existing_nullable=True
        )
        batch_op.create_unique_constraint(batch_op.f("uq_users_email"), ["email"])
