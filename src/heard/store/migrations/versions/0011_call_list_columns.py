"""The call list in SQL: the latest summary and score on each call row, agent_weeks, and the indexes they need

Revision ID: 0011
Revises: 0010

Backfills the new columns and table from the stored analyses and scores (heard.store.aggregates.rebuild).
On PostgreSQL it also adds indexes in the list's descending order with NULLs last (newest first, best score
first), which an ascending index cannot serve; SQLite reads its ascending indexes backwards.
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"

COLUMNS: list[sa.Column[Any]] = [sa.Column("summary", sa.JSON(none_as_null=True)), sa.Column("behaviours", sa.Text),
           sa.Column("robotic", sa.Integer), sa.Column("escalations", sa.Integer), sa.Column("score", sa.Float),
           sa.Column("auto_score", sa.Float), sa.Column("auto_failed", sa.Boolean),
           sa.Column("category", sa.String(64)), sa.Column("score_version", sa.Integer),
           sa.Column("score_items", sa.JSON(none_as_null=True))]
INDEXES = {"ix_calls_started": ["started_at", "id"], "ix_calls_team_started": ["team", "started_at", "id"],
           "ix_calls_agent_started": ["agent_id", "started_at", "id"],
           "ix_calls_queue_started": ["queue", "started_at", "id"], "ix_calls_score": ["score", "id"],
           "ix_calls_agent_sort": ["agent_id", "id"]}
# PostgreSQL only: (key DESC NULLS LAST, id DESC), the order of "-started_at" and "-score".
DESCENDING = {"ix_calls_started_desc": ["started_at"], "ix_calls_team_started_desc": ["team", "started_at"],
              "ix_calls_queue_started_desc": ["queue", "started_at"], "ix_calls_score_desc": ["score"],
              "ix_calls_team_score_desc": ["team", "score"]}


def upgrade() -> None:
    from heard.store import aggregates

    with op.batch_alter_table("calls") as batch:
        for column in COLUMNS:
            batch.add_column(column)
    for name, columns in INDEXES.items():
        op.create_index(name, "calls", columns)
    op.create_index("ix_analyses_key_call", "analyses", ["analyser_key", "call_id"])
    # The insights page's fingerprint reads the newest outcome and score change.
    op.create_index("ix_outcomes_updated", "outcomes", ["updated_at"])
    op.create_index("ix_scores_updated", "scores", ["updated_at"])
    op.create_table(
        "agent_weeks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("agent_id", sa.String(200)), sa.Column("team", sa.String(200)), sa.Column("week", sa.Date),
        sa.Column("calls", sa.Integer, nullable=False), sa.Column("analysed", sa.Integer, nullable=False),
        sa.Column("behaviours", sa.JSON, nullable=False), sa.Column("robotic", sa.Integer, nullable=False),
        sa.Column("escalations", sa.Integer, nullable=False), sa.Column("scored", sa.Integer, nullable=False),
        sa.Column("score_sum", sa.Float, nullable=False), sa.Column("auto_fails", sa.Integer, nullable=False),
        sa.Column("item_sums", sa.JSON, nullable=False),
    )
    op.create_index("ix_agent_weeks_team", "agent_weeks", ["team", "week"])
    op.create_index("ix_agent_weeks_agent", "agent_weeks", ["agent_id", "week"])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for name, columns in DESCENDING.items():
            *prefix, key = columns
            op.create_index(name, "calls", [*prefix, sa.text(f"{key} DESC NULLS LAST"), sa.text("id DESC")])
    aggregates.rebuild(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in DESCENDING:
            op.drop_index(name, "calls")
    op.drop_table("agent_weeks")
    op.drop_index("ix_analyses_key_call", "analyses")
    op.drop_index("ix_outcomes_updated", "outcomes")
    op.drop_index("ix_scores_updated", "scores")
    for name in INDEXES:
        op.drop_index(name, "calls")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not batch mode: its copy-and-drop of `calls` would cascade to
    # every turn, analysis and score.
    for column in COLUMNS:
        op.drop_column("calls", column.name)
