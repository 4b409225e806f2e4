"""Database tables (SQLAlchemy Core). Changes go through an Alembic migration in migrations/versions."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
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
    true,
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
    Column("audio", JSON(none_as_null=True)),   # the recording's signal facts (heard.model.AudioInfo), or null
    Column("source_format", String(64)),
    Column("source_path", Text),
    Column("n_turns", Integer, nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    # What the call list filters and sorts on, copied from the latest analysis and score by heard.store.aggregates
    # when either is saved, so a page of a million calls is one indexed query. NULL: not analysed / not scored.
    Column("summary", JSON(none_as_null=True)),    # the latest analysis's CallAnalysis.summary()
    Column("behaviours", Text),                    # its behaviours as ",label,label," (LIKE-searchable)
    Column("robotic", Integer),                    # its robotic-empathy findings
    Column("escalations", Integer),                # its escalation moments
    Column("score", Float),                        # the latest score on the list's scorecard: final total
    Column("auto_score", Float),
    Column("auto_failed", Boolean),
    Column("category", String(64)),
    Column("score_version", Integer),
    Column("score_items", JSON(none_as_null=True)),  # item -> fraction of the final answers, for team summaries
)
Index("ix_calls_started", calls.c.started_at, calls.c.id)
Index("ix_calls_team_started", calls.c.team, calls.c.started_at, calls.c.id)
Index("ix_calls_agent_started", calls.c.agent_id, calls.c.started_at, calls.c.id)
Index("ix_calls_queue_started", calls.c.queue, calls.c.started_at, calls.c.id)
Index("ix_calls_score", calls.c.score, calls.c.id)
Index("ix_calls_agent_sort", calls.c.agent_id, calls.c.id)
Index("ix_calls_imported", calls.c.imported_at)  # the insights fingerprint's newest call

# No foreign key to calls (migration 0013): the server's per-row check was most of a bulk import's work. A call's
# turns are written in the transaction that writes the call and removed with it by Store._delete_calls.
turns = Table(
    "turns", metadata,
    Column("call_id", String(200), primary_key=True),
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
    Column("summary", JSON(none_as_null=True)),  # CallAnalysis.summary(), so call lists need not load results
    UniqueConstraint("call_id", "analyser_key", name="uq_analyses_call_key"),
)
Index("ix_analyses_call", analyses.c.call_id)
Index("ix_analyses_key_call", analyses.c.analyser_key, analyses.c.call_id)
Index("ix_outcomes_updated", outcomes.c.updated_at)

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
    Column("tuning_id", Integer),   # the tuning (heard tune) that made the automatic answers; None: heard's own
)
Index("ix_scores_call", scores.c.call_id)
Index("ix_scores_updated", scores.c.updated_at)

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

users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(200), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(300), nullable=False),
    Column("role", String(16), nullable=False),
    Column("agent_id", String(200)),      # the calls.agent_id this user is, for agents
    Column("team", String(200)),          # the team a lead leads, or an agent belongs to
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("active", Boolean, nullable=False, server_default=true()),  # false: deactivated, cannot log in
    Column("password_changed_at", DateTime(timezone=True)),
)

# Server-side sessions: the cookie holds a random key, this table its sha256, so logout, a password change or a
# deactivation ends a session even if someone kept a copy of the cookie.
sessions = Table(
    "sessions", metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("address", String(100)),
)
Index("ix_sessions_user", sessions.c.user_id)

api_tokens = Table(
    "api_tokens", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True)),
    Column("scope", String(16), nullable=False, server_default="full"),  # full, or live: stream live calls only
    Column("expires_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

evaluations = Table(
    "evaluations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("scorecard_id", Integer, ForeignKey("scorecards.id"), nullable=False),
    Column("evaluator_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("state", String(16), nullable=False),
    Column("automatic", JSON, nullable=False),   # the machine's answers when the evaluation started
    Column("answers", JSON, nullable=False),     # item -> {answer, comment} given by the evaluator
    Column("result", JSON, nullable=False),      # the score with the evaluator's answers
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("submitted_at", DateTime(timezone=True)),
    Column("version", Integer, nullable=False, server_default="1"),  # +1 on every change: compare-and-set
)
Index("ix_evaluations_call", evaluations.c.call_id)

disputes = Table(
    "disputes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("evaluation_id", Integer, ForeignKey("evaluations.id", ondelete="CASCADE"), nullable=False),
    Column("raised_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("item", String(200)),
    Column("reason", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("resolution", Text),
    Column("resolved_by", Integer, ForeignKey("users.id")),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True)),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("user_id", Integer),
    Column("username", String(200)),
    Column("action", String(40), nullable=False),
    Column("object_type", String(40), nullable=False),
    Column("object_id", String(200)),
    Column("detail", JSON, nullable=False),
)
Index("ix_audit_at", audit_log.c.at)

# Calibration: a lead's session of calls that several evaluators (and optionally an expert) score blind.
calibration_sessions = Table(
    "calibration_sessions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    Column("scorecard_id", Integer, ForeignKey("scorecards.id"), nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("expert_id", Integer, ForeignKey("users.id")),
    Column("state", String(16), nullable=False),          # open, closed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
)

calibration_calls = Table(
    "calibration_calls", metadata,
    Column("session_id", Integer, ForeignKey("calibration_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("call_id", String(200), ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True),
    Column("automatic", JSON, nullable=False),           # the machine's answers when the session was made
)

calibration_raters = Table(
    "calibration_raters", metadata,
    Column("session_id", Integer, ForeignKey("calibration_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("started_at", DateTime(timezone=True)),
    Column("submitted_at", DateTime(timezone=True)),
)

calibration_answers = Table(
    "calibration_answers", metadata,
    Column("session_id", Integer, ForeignKey("calibration_sessions.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id"), primary_key=True),
    Column("call_id", String(200), primary_key=True),
    Column("item", String(200), primary_key=True),
    Column("answer", String(20), nullable=False),
    Column("comment", Text),
    Column("turn", Integer),                              # the turn the rater points at, if any
    Column("at", DateTime(timezone=True), nullable=False),
)

# "What good sounds like": the agreed answer and note a lead records for an item, shown next to it.
item_guidance = Table(
    "item_guidance", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scorecard", String(200), nullable=False),
    Column("item", String(200), nullable=False),
    Column("session_id", Integer, ForeignKey("calibration_sessions.id", ondelete="SET NULL")),
    Column("call_id", String(200)),
    Column("agreed_answer", String(20)),
    Column("note", Text, nullable=False),
    Column("created_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_item_guidance_item", item_guidance.c.scorecard, item_guidance.c.item)

# This organisation's tuning of the automatic answers, learnt from evaluators' final answers (heard tune).
tunings = Table(
    "tunings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scorecard", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(200)),
    Column("model", JSON, nullable=False),
    Column("report", JSON, nullable=False),
    Column("state", String(16), nullable=False),          # proposed, active, retired
    Column("activated_at", DateTime(timezone=True)),
)

# Coaching: one focus behaviour per agent at a time, and the 1:1 sessions held on it.
coaching_plans = Table(
    "coaching_plans", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agent_id", String(200), nullable=False, index=False),
    Column("team", String(200)),
    Column("behaviour", String(64), nullable=False),
    Column("target", Float, nullable=False),              # the weekly rate that completes the plan
    Column("state", String(16), nullable=False),          # active, met, closed
    Column("why", JSON, nullable=False),                  # the rates and weights the focus was chosen on
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_why", Text),
)
Index("ix_coaching_plans_agent", coaching_plans.c.agent_id)

coaching_sessions = Table(
    "coaching_sessions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("plan_id", Integer, ForeignKey("coaching_plans.id", ondelete="CASCADE"), nullable=False),
    Column("coach_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("agent_id", String(200), nullable=False),
    Column("held_at", DateTime(timezone=True), nullable=False),   # when it happened (or is scheduled)
    Column("notes", Text, nullable=False),
    Column("moments", JSON, nullable=False),              # [{call_id, turn}] discussed
    Column("action", Text, nullable=False),               # agreed by both; the coach's words
    Column("agent_action", Text),                         # what the agent added to it (co-created)
    Column("follow_up", Date),
    Column("followed_up_at", DateTime(timezone=True)),
    Column("acknowledged_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_coaching_sessions_agent", coaching_sessions.c.agent_id)

insight_runs = Table(
    "insight_runs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("scope", String(250), nullable=False),           # "all", or "team:<name>"
    Column("fingerprint", String(64), nullable=False),      # what the calls in scope looked like when it ran
    Column("created_by", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("result", JSON, nullable=False),                 # heard.insights.report.build()
)
Index("ix_insight_runs_scope", insight_runs.c.scope)

# --- team features (heard.team) ---------------------------------------------------------------------------

kudos = Table(
    "kudos", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("call_id", String(200), ForeignKey("calls.id", ondelete="CASCADE"), nullable=False),
    Column("turn", Integer),                              # the moment in the call, when one was picked
    Column("agent_id", String(200), nullable=False),      # whose moment it is (the call's agent)
    Column("given_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("note", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_kudos_agent", kudos.c.agent_id)

mvp_picks = Table(
    "mvp_picks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("team", String(200), nullable=False),
    Column("month", String(7), nullable=False),           # "2026-11"
    Column("agent_id", String(200), nullable=False),
    Column("ranking", JSON, nullable=False),              # the explained ranking the lead confirmed
    Column("confirmed_by", Integer, ForeignKey("users.id"), nullable=False),
    Column("confirmed_at", DateTime(timezone=True), nullable=False),
    Column("note", Text),
    UniqueConstraint("team", "month", name="uq_mvp_team_month"),
)

checkins = Table(
    "checkins", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("lead_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("agent_id", String(200), nullable=False),
    Column("week", Date, nullable=False),                 # the Monday of the week
    Column("support", Text, nullable=False),              # "What kind of support do you need today?"
    Column("notes", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_checkins_agent", checkins.c.agent_id)

voice_items = Table(
    "voice_items", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("author_id", Integer, ForeignKey("users.id")),  # NULL for anonymous items: never stored, anywhere
    Column("team", String(200)),
    Column("topic", String(32), nullable=False),          # policy, process, leadership, tools, other
    Column("text", Text, nullable=False),
    Column("status", String(16), nullable=False),         # open, answered, in_progress, closed
    Column("follow_up", Date),
    Column("submitted_on", Date, nullable=False),         # a day, not a time: a time could be matched to sessions
)

voice_replies = Table(
    "voice_replies", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("item_id", Integer, ForeignKey("voice_items.id", ondelete="CASCADE"), nullable=False),
    Column("author_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(16), nullable=False),         # the item's status after this reply
    Column("follow_up", Date),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
Index("ix_voice_replies_item", voice_replies.c.item_id)

# Per agent, team and ISO week (its Monday, UTC; NULL for calls without a start time): what the agent and team pages
# show, kept by heard.store.aggregates whenever an analysis or score is saved, by recounting the weeks touched.
agent_weeks = Table(
    "agent_weeks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agent_id", String(200)),
    Column("team", String(200)),
    Column("week", Date),
    Column("calls", Integer, nullable=False),
    Column("analysed", Integer, nullable=False),         # calls with an analysis: the denominator of rates
    Column("behaviours", JSON, nullable=False),          # behaviour -> calls where it was found
    Column("robotic", Integer, nullable=False),          # calls with a robotic-empathy flag
    Column("escalations", Integer, nullable=False),      # calls with an escalation moment
    Column("scored", Integer, nullable=False),
    Column("score_sum", Float, nullable=False),
    Column("auto_fails", Integer, nullable=False),
    Column("item_sums", JSON, nullable=False),           # item -> [sum of fractions, answers]
)
Index("ix_agent_weeks_team", agent_weeks.c.team, agent_weeks.c.week)
Index("ix_agent_weeks_agent", agent_weeks.c.agent_id, agent_weeks.c.week)
