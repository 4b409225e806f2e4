"""Coaching plans (one focus behaviour per agent at a time) and coaching sessions

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "coaching_plans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("team", sa.String(200)),
        sa.Column("behaviour", sa.String(64), nullable=False),
        sa.Column("target", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("why", sa.JSON, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
        sa.Column("closed_why", sa.Text),
    )
    op.create_index("ix_coaching_plans_agent", "coaching_plans", ["agent_id"])
    op.create_table(
        "coaching_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("coaching_plans.id", ondelete="CASCADE"), nullable=False),
        sa.Column("coach_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("held_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("moments", sa.JSON, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("agent_action", sa.Text),
        sa.Column("follow_up", sa.Date),
        sa.Column("followed_up_at", sa.DateTime(timezone=True)),
        sa.Column("acknowledged_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_coaching_sessions_agent", "coaching_sessions", ["agent_id"])


def downgrade() -> None:
    op.drop_index("ix_coaching_sessions_agent", "coaching_sessions")
    op.drop_table("coaching_sessions")
    op.drop_index("ix_coaching_plans_agent", "coaching_plans")
    op.drop_table("coaching_plans")
