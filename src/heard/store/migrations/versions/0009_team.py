"""Team features: kudos, Empathy MVP picks, check-ins, Voice of the Agent items and replies

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.create_table(
        "kudos",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(200), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("turn", sa.Integer),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("given_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_kudos_agent", "kudos", ["agent_id"])
    op.create_table(
        "mvp_picks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("team", sa.String(200), nullable=False),
        sa.Column("month", sa.String(7), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("ranking", sa.JSON, nullable=False),
        sa.Column("confirmed_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text),
        sa.UniqueConstraint("team", "month", name="uq_mvp_team_month"),
    )
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("lead_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("agent_id", sa.String(200), nullable=False),
        sa.Column("week", sa.Date, nullable=False),
        sa.Column("support", sa.Text, nullable=False),
        sa.Column("notes", sa.Text),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_checkins_agent", "checkins", ["agent_id"])
    op.create_table(
        "voice_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("team", sa.String(200)),
        sa.Column("topic", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("follow_up", sa.Date),
        sa.Column("submitted_on", sa.Date, nullable=False),
    )
    op.create_table(
        "voice_replies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("voice_items.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("follow_up", sa.Date),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_voice_replies_item", "voice_replies", ["item_id"])


def downgrade() -> None:
    op.drop_index("ix_voice_replies_item", "voice_replies")
    op.drop_table("voice_replies")
    op.drop_table("voice_items")
    op.drop_index("ix_checkins_agent", "checkins")
    op.drop_table("checkins")
    op.drop_table("mvp_picks")
    op.drop_index("ix_kudos_agent", "kudos")
    op.drop_table("kudos")
