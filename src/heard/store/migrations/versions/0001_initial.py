"""calls, turns, outcomes, analyses

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "calls",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("content_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("agent_id", sa.String(200), index=True),
        sa.Column("team", sa.String(200), index=True),
        sa.Column("queue", sa.String(200)),
        sa.Column("reason", sa.String(200)),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True)),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("meta", sa.JSON, nullable=False),
        sa.Column("speaker_mapping", sa.JSON),
        sa.Column("vendor_metrics", sa.JSON, nullable=False),
        sa.Column("source_format", sa.String(64)),
        sa.Column("source_path", sa.Text),
        sa.Column("n_turns", sa.Integer, nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "turns",
        sa.Column("call_id", sa.String(200), sa.ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("speaker", sa.String(16), nullable=False),
        sa.Column("speaker_id", sa.String(200)),
        sa.Column("start", sa.Float),
        sa.Column("end", sa.Float),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("words", sa.JSON),
    )
    op.create_table(
        "outcomes",
        sa.Column("call_id", sa.String(200), sa.ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(200), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("analyser_key", sa.String(500), nullable=False),
        sa.Column("analysers", sa.JSON, nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("call_id", "analyser_key", name="uq_analyses_call_key"),
    )
    op.create_index("ix_analyses_call", "analyses", ["call_id"])


def downgrade() -> None:
    op.drop_table("analyses")
    op.drop_table("outcomes")
    op.drop_table("turns")
    op.drop_table("calls")
