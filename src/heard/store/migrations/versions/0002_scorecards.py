"""scorecards (versioned definitions), scores (automatic and reviewed answers), rule_results

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "scorecards",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("definition", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("name", "version", name="uq_scorecards_name_version"),
        sa.UniqueConstraint("name", "digest", name="uq_scorecards_name_digest"),
    )
    op.create_table(
        "scores",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("call_id", sa.String(200), sa.ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
        sa.Column("scorecard_id", sa.Integer, sa.ForeignKey("scorecards.id"), nullable=False),
        sa.Column("analysis_key", sa.String(500), nullable=False),
        sa.Column("analysers", sa.JSON, nullable=False),
        sa.Column("rules", sa.JSON, nullable=False),
        sa.Column("automatic", sa.JSON, nullable=False),
        sa.Column("final", sa.JSON, nullable=False),
        sa.Column("review", sa.JSON, nullable=False),
        sa.Column("auto_total", sa.Float),
        sa.Column("final_total", sa.Float),
        sa.Column("auto_failed", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("call_id", "scorecard_id", "analysis_key", name="uq_scores_call_card_analysis"),
    )
    op.create_index("ix_scores_call", "scores", ["call_id"])
    op.create_table(
        "rule_results",
        sa.Column("call_id", sa.String(200), sa.ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("rule", sa.String(200), primary_key=True),
        sa.Column("rule_digest", sa.String(64), nullable=False),
        sa.Column("input_key", sa.String(600), nullable=False),
        sa.Column("category", sa.String(200)),
        sa.Column("matched", sa.Boolean, nullable=False),
        sa.Column("missing", sa.Boolean, nullable=False),
        sa.Column("why", sa.Text, nullable=False),
        sa.Column("evidence", sa.JSON, nullable=False),
        sa.Column("evaluated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rule_results")
    op.drop_index("ix_scores_call", table_name="scores")
    op.drop_table("scores")
    op.drop_table("scorecards")
