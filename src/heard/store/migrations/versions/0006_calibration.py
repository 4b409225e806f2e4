"""Calibration sessions, item guidance, tunings of the automatic answers; scores record their tuning

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "calibration_sessions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scorecard_id", sa.Integer, sa.ForeignKey("scorecards.id"), nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("expert_id", sa.Integer, sa.ForeignKey("users.id")),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "calibration_calls",
        sa.Column("session_id", sa.Integer, sa.ForeignKey("calibration_sessions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("call_id", sa.String(200), sa.ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("automatic", sa.JSON, nullable=False),
    )
    op.create_table(
        "calibration_raters",
        sa.Column("session_id", sa.Integer, sa.ForeignKey("calibration_sessions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("submitted_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "calibration_answers",
        sa.Column("session_id", sa.Integer, sa.ForeignKey("calibration_sessions.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("call_id", sa.String(200), primary_key=True),
        sa.Column("item", sa.String(200), primary_key=True),
        sa.Column("answer", sa.String(20), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("turn", sa.Integer),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "item_guidance",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scorecard", sa.String(200), nullable=False),
        sa.Column("item", sa.String(200), nullable=False),
        sa.Column("session_id", sa.Integer, sa.ForeignKey("calibration_sessions.id", ondelete="SET NULL")),
        sa.Column("call_id", sa.String(200)),
        sa.Column("agreed_answer", sa.String(20)),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_item_guidance_item", "item_guidance", ["scorecard", "item"])
    op.create_table(
        "tunings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scorecard", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("model", sa.JSON, nullable=False),
        sa.Column("report", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),   # proposed, active, retired
        sa.Column("activated_at", sa.DateTime(timezone=True)),
    )
    with op.batch_alter_table("scores") as batch:
        batch.add_column(sa.Column("tuning_id", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("scores") as batch:
        batch.drop_column("tuning_id")
    op.drop_table("tunings")
    op.drop_index("ix_item_guidance_item", "item_guidance")
    op.drop_table("item_guidance")
    op.drop_table("calibration_answers")
    op.drop_table("calibration_raters")
    op.drop_table("calibration_calls")
    op.drop_table("calibration_sessions")
