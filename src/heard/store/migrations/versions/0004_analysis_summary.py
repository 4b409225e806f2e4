"""analyses.summary: what call lists show, stored beside each analysis

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    with op.batch_alter_table("analyses") as batch:
        batch.add_column(sa.Column("summary", sa.JSON))


def downgrade() -> None:
    with op.batch_alter_table("analyses") as batch:
        batch.drop_column("summary")
