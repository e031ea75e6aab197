"""publishing: per-post options (alt text, user tags, location, collaborators, first comment)

Revision ID: 0003_publish_options
Revises: 0002_publish
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_publish_options"
down_revision = "0002_publish"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "publish_options",
        sa.Column("post_id", sa.String(length=80), nullable=False),
        sa.Column("alt_text", sa.Text(), nullable=True),
        sa.Column("slide_alt_texts", sa.JSON(), nullable=False),
        sa.Column("user_tags", sa.JSON(), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=True),
        sa.Column("collaborators", sa.JSON(), nullable=False),
        sa.Column("first_comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"]),
        sa.PrimaryKeyConstraint("post_id"),
    )


def downgrade() -> None:
    op.drop_table("publish_options")
