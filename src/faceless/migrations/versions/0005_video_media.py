"""video media: disclosure fields and the stored media's and thumbnail's metadata

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 12:00:00

Columns on ``videos`` only. The disclosure fields (``made_for_kids``,
``contains_synthetic_media``, ``category_id``) are NOT NULL with server defaults, so
existing rows take YouTube's defaults (not for kids, no synthetic media, category 22
"People & Blogs"); ``default_language`` and the media and thumbnail metadata are
nullable (no media yet). The files themselves live under ``var/``, never in the database.

On PostgreSQL nothing is granted: ``faceless_runtime``'s DML grants on ``videos`` are
table-wide (0003) and cover new columns, and none of these is sensitive enough for
column-level object audit (that is ``script``'s, an encrypted column).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("made_for_kids", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "contains_synthetic_media", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("category_id", sa.String(length=8), server_default="22", nullable=False)
        )
        batch_op.add_column(sa.Column("default_language", sa.String(length=35), nullable=True))
        batch_op.add_column(sa.Column("media_content_type", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("media_size", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("media_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("media_duration_seconds", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("thumbnail_content_type", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("thumbnail_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("thumbnail_width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("thumbnail_height", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("videos", schema=None) as batch_op:
        for column in (
            "thumbnail_height",
            "thumbnail_width",
            "thumbnail_size",
            "thumbnail_content_type",
            "media_duration_seconds",
            "media_sha256",
            "media_size",
            "media_content_type",
            "default_language",
            "category_id",
            "contains_synthetic_media",
            "made_for_kids",
        ):
            batch_op.drop_column(column)
