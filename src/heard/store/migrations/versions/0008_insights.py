"""Insight runs: the effects of behaviours on outcomes, computed for a scope and kept for pages and coaching

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "insight_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(250), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
    )
    op.create_index("ix_insight_runs_scope", "insight_runs", ["scope"])


def downgrade() -> None:
    op.drop_index("ix_insight_runs_scope", "insight_runs")
    op.drop_table("insight_runs")
