"""Calls imported from recordings keep what the signal showed (voice activity, loudness, pitch, the engine)

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.add_column(sa.Column("audio", sa.JSON(none_as_null=True)))


def downgrade() -> None:
    with op.batch_alter_table("calls") as batch:
        batch.drop_column("audio")
