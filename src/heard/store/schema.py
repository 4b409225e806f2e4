"""Database tables (SQLAlchemy Core). Changes go through an Alembic migration in migrations/versions."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

calls = Table(
    "calls", metadata,
    Column("id", String(200), primary_key=True),
    Column("content_hash", String(64), nullable=False, unique=True),
    Column("agent_id", String(200), index=True),
    Column("team", String(200), index=True),
    Column("queue", String(200)),
    Column("reason", String(200)),
    Column("channel", String(16), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("language", String(16), nullable=False),
    Column("meta", JSON, nullable=False),
    Column("speaker_mapping", JSON(none_as_null=True)),
    Column("vendor_metrics", JSON, nullable=False),
    Column("source_format", String(64)),
    Column("source_path", Text),
    Column("n_turns", Integer, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
)

turns = Table(
    "turns", metadata,
    Column("call_id", String(200), ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    Column("idx", Integer, primary_key=True),
    Column("speaker", String(16), nullable=False),
    Column("speaker_id", String(200)),
    Column("start", Float),
    Column("end", Float),
    Column("text", Text, nullable=False),
    Column("words", JSON(none_as_null=True)),  # SQL NULL, not JSON 'null', for turns without word times
)

outcomes = Table(
    "outcomes", metadata,
    Column("call_id", String(200), ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

analyses = Table(
    "analyses", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("analyser_key", String(500), nullable=False),
    Column("analysers", JSON, nullable=False),
    Column("result", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("call_id", "analyser_key", name="uq_analyses_call_key"),
)
Index("ix_analyses_call", analyses.c.call_id)

scorecards = Table(
    "scorecards", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", "version", name="uq_scorecards_name_version"),
    UniqueConstraint("name", "digest", name="uq_scorecards_name_digest"),
)

scores = Table(
    "scores", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("scorecard_id", Integer, ForeignKey("scorecards.id"), nullable=False),
    Column("analysis_key", String(500), nullable=False),
    Column("analysers", JSON, nullable=False),
    Column("rules", JSON, nullable=False),
    Column("automatic", JSON, nullable=False),
    Column("final", JSON, nullable=False),
    Column("review", JSON, nullable=False),
    Column("auto_total", Float),
    Column("final_total", Float),
    Column("auto_failed", Boolean, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("call_id", "scorecard_id", "analysis_key", name="uq_scores_call_card_analysis"),
)
Index("ix_scores_call", scores.c.call_id)

rule_results = Table(
    "rule_results", metadata,
    Column("call_id", String(200), ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    Column("rule", String(200), primary_key=True),
    Column("rule_digest", String(64), nullable=False),
    Column("input_key", String(600), nullable=False),
    Column("category", String(200)),
    Column("matched", Boolean, nullable=False),
    Column("missing", Boolean, nullable=False),
    Column("why", Text, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("evaluated_at", DateTime(timezone=True), nullable=False),
)
