"""Scorecards and rules against the store: versions, scoring stored calls, reviews, retroactive rules.

Versioning: a scorecard is stored by name with a content digest. Scoring with a definition whose digest
is new makes a new version when the latest one has scored calls (a used version never changes), and
replaces the latest one in place while nothing has used it. Every score records the scorecard
version, the analyser versions and the digests of the rules behind it, and the organisation's tuning of the
automatic answers that was active (`tuning_id`, None for heard's defaults; see tuning.py).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from heard.analysers.heavy import is_heavy
from heard.errors import ConfigError, ConflictError, HeardError, StoreError
from heard.model import Call, CallAnalysis, analysis_key
from heard.runners import EngineName, check_engine, run_engine
from heard.runners.sources import Failed, StoredCalls
from heard.scorecards import tuning
from heard.scorecards.conditions import HEAVY, Facts
from heard.scorecards.definition import Scorecard
from heard.scorecards.rules import RuleSet, evaluate_rules
from heard.scorecards.scoring import Result, answer_automatically, compute, parse_answer, reviewed
from heard.store import Store, aggregates
from heard.store.schema import rule_results, scorecards, scores


@dataclass(frozen=True)
class CardVersion:
    id: int
    name: str
    version: int
    status: Literal["new", "same", "updated", "new_version"]


@dataclass
class Scored:
    call_id: str
    result: Result | None = None
    error: str | None = None


@dataclass
class RulesApplied:
    evaluated: int = 0
    unchanged: int = 0
    calls: int = 0
    matched: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def _used(conn: Any, card_id: int) -> bool:
    return conn.execute(select(scores.c.id).where(scores.c.scorecard_id == card_id).limit(1)).first() is not None


def register(store: Store, card: Scorecard) -> CardVersion:
    """The stored version for this definition, creating or updating one as the versioning rule says."""
    digest = card.digest
    definition = card.model_dump(mode="json", by_alias=True, exclude_none=True)
    with store.engine.begin() as conn:
        same = conn.execute(select(scorecards.c.id, scorecards.c.version).where(
            and_(scorecards.c.name == card.name, scorecards.c.digest == digest))).first()
        if same is not None:
            return CardVersion(same.id, card.name, same.version, "same")
        latest = conn.execute(select(scorecards.c.id, scorecards.c.version).where(scorecards.c.name == card.name)
                              .order_by(scorecards.c.version.desc())).first()
        if latest is None:
            return CardVersion(_insert_card(conn, card.name, 1, digest, definition), card.name, 1, "new")
        if not _used(conn, latest.id):
            conn.execute(update(scorecards).where(scorecards.c.id == latest.id).values(
                digest=digest, definition=definition, created_at=_now()))
            return CardVersion(latest.id, card.name, latest.version, "updated")
        version = latest.version + 1
        new_id = _insert_card(conn, card.name, version, digest, definition)
        return CardVersion(new_id, card.name, version, "new_version")


def _insert_card(conn: Any, name: str, version: int, digest: str, definition: dict[str, Any]) -> int:
    key = conn.execute(insert(scorecards).values(name=name, version=version, digest=digest, definition=definition,
                                                 created_at=_now())).inserted_primary_key
    assert key is not None
    return int(key[0])


def stored_card(store: Store, name: str, version: int | None = None) -> tuple[int, int, Scorecard]:
    """(id, version, definition) of a stored scorecard; the latest version unless one is given."""
    query = select(scorecards).where(scorecards.c.name == name)
    if version is not None:
        query = query.where(scorecards.c.version == version)
    with store.engine.connect() as conn:
        row = conn.execute(query.order_by(scorecards.c.version.desc())).first()
    if row is None:
        raise StoreError(f"no scorecard {name!r}" + (f" version {version}" if version else "") + " in the store",
                         hint="Score calls with it first: heard score --scorecard FILE")
    return row.id, row.version, Scorecard.model_validate(row.definition)


def list_cards(store: Store) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        per_card = select(scores.c.scorecard_id, func.count()).group_by(scores.c.scorecard_id)
        counts: dict[int, int] = {int(k): int(n) for k, n in conn.execute(per_card).all()}
        rows = conn.execute(select(scorecards.c.id, scorecards.c.name, scorecards.c.version, scorecards.c.digest,
                                   scorecards.c.created_at).order_by(scorecards.c.name, scorecards.c.version)).all()
    return [{"name": r.name, "version": r.version, "digest": r.digest[:12], "scores": counts.get(r.id, 0),
             "created_at": r.created_at} for r in rows]


def _duration(analysis: CallAnalysis) -> float | None:
    metric = analysis.metric("duration")
    return float(metric.value) if metric is not None and metric.value is not None else None


def norms_of(pairs: Sequence[tuple[Call, CallAnalysis | None]]) -> dict[str, float]:
    """Median handle time per queue ("*" for all): the outcome's handle time, else the call's length; and the same
    over emotionally heavy calls only ("<queue>|heavy", "*|heavy"), for scorecards that compare heavy calls with
    their own norm."""
    lengths: dict[str, list[float]] = {}
    for call, analysis in pairs:
        seconds = call.outcome.handle_time if call.outcome and call.outcome.handle_time else \
            (_duration(analysis) if analysis is not None else None)
        if seconds:
            lengths.setdefault(call.queue or "*", []).append(float(seconds))
            if analysis is not None and is_heavy(analysis.summary()):
                lengths.setdefault((call.queue or "*") + HEAVY, []).append(float(seconds))
    norms = {q: statistics.median(v) for q, v in lengths.items()}
    for suffix in ("", HEAVY):
        everything = [x for q, v in lengths.items() if q.endswith(HEAVY) == bool(suffix) for x in v]
        if everything:
            norms["*" + suffix] = statistics.median(everything)
    return norms


def queue_norms(store: Store) -> dict[str, float]:
    """norms_of every stored call with its latest analysis."""
    analyses = {a.call_id: a for a in store.iter_analyses()}
    return norms_of([(call, analyses.get(call.id)) for call in store.iter_calls()])


def _analyses(store: Store, ids: Sequence[str]) -> dict[str, CallAnalysis]:
    return {i: a for i in ids if (a := store.latest_analysis(i)) is not None}


def ensure_analysed(store: Store, ids: Sequence[str], *, engine: EngineName = "local", workers: int | None = 1,
                    address: str | None = None) -> list[Failed]:
    """Analyse (and store) the calls among `ids` that have no analysis yet, on either engine (heard score --engine);
    returns the calls whose analysis failed (they are reported per call when scored)."""
    check_engine(engine, address)
    missing: list[str] = []
    for offset in range(0, len(ids), 500):
        chunk = list(ids[offset: offset + 500])
        have = store.analysed_call_ids(chunk)
        missing.extend(i for i in chunk if i not in have)
    if not missing:
        return []
    return [r for r in run_engine(engine, StoredCalls.of(store, missing), store=store, workers=workers,
                                  address=address) if isinstance(r, Failed)]


def score_stored(store: Store, card: Scorecard, ruleset: RuleSet, ids: Sequence[str] | None = None, *,
                 norms: dict[str, float] | None = None, analyse_missing: bool = True) -> Iterator[Scored]:
    """Score stored calls (analysing any that have no analysis yet), saving each score; a failure skips one call.

    The scorecard's active tuning (heard tune accept), if any, answers the items it tuned; each score records it."""
    card.check_rules(ruleset, card.name)
    version = register(store, card)
    tuned = tuning.prepared_for(store, card, ruleset)
    wanted = list(ids) if ids is not None else store.call_ids()
    if analyse_missing:
        ensure_analysed(store, wanted)
    # Norms come after any analysis, so every call is scored against the same norms.
    norms = norms if norms is not None else queue_norms(store)
    rule_digests = {r.name: r.digest[:12] for r in ruleset.rules}
    for offset in range(0, len(wanted), 200):
        chunk = wanted[offset: offset + 200]
        found = _analyses(store, chunk)
        calls = {c.id: c for c in store.iter_calls(chunk)}
        for call_id in chunk:
            call, analysis = calls.get(call_id), found.get(call_id)
            if call is None:
                yield Scored(call_id, error=f"no call {call_id!r} in the store")
                continue
            if analysis is None:
                yield Scored(call_id, error="the call has no analysis and it could not be analysed")
                continue
            try:
                facts = Facts(call, analysis, norms=norms)
                automatic = answer_automatically(card, facts, ruleset)
                if tuned is not None:
                    automatic = tuned.apply(card, facts, ruleset, automatic)
                result = _save(store, version.id, card, call_id, analysis, rule_digests, automatic,
                               tuned.id if tuned is not None else None)
            except HeardError as exc:
                yield Scored(call_id, error=str(exc))
                continue
            yield Scored(call_id, result)


def _save(store: Store, card_id: int, card: Scorecard, call_id: str, analysis: CallAnalysis,
          rule_digests: dict[str, str], automatic: list[Any], tuning_id: int | None = None) -> Result:
    key = analysis_key(analysis.analysers)
    now = _now()
    with store.engine.begin() as conn:
        row = conn.execute(select(scores.c.id, scores.c.review).where(and_(
            scores.c.call_id == call_id, scores.c.scorecard_id == card_id, scores.c.analysis_key == key))).first()
        review = row.review if row is not None else {}
        auto = compute(card, automatic)
        final = compute(card, reviewed(card, automatic, review))
        values = {"analysers": analysis.analysers, "rules": rule_digests,
                  "automatic": auto.model_dump(mode="json"), "final": final.model_dump(mode="json"),
                  "review": review, "auto_total": auto.total, "final_total": final.total,
                  "auto_failed": final.auto_failed, "tuning_id": tuning_id, "updated_at": now}
        if row is None:
            conn.execute(insert(scores).values(call_id=call_id, scorecard_id=card_id, analysis_key=key,
                                               created_at=now, **values))
        else:
            conn.execute(update(scores).where(scores.c.id == row.id).values(**values))
        aggregates.refresh(conn, [call_id])  # the call list's score column and the weekly totals
    return final


def review_item(store: Store, call_id: str, scorecard: str, item_id: str, answer: str, *, comment: str | None,
                reviewer: str, version: int | None = None, conn: Connection | None = None) -> Result:
    """An evaluator's answer for one item of a call's latest score (the automatic answer is kept beside it).

    Atomic under concurrency: the score row is locked (PostgreSQL) and written only if it did not change since
    it was read (every store), so two reviews of one call never lose each other's answers. Pass `conn` to make it
    part of a larger transaction."""
    card_id, _, card = stored_card(store, scorecard, version)
    item = card.item(item_id)
    if item is None:
        raise ConfigError(f"scorecard {scorecard} has no item {item_id!r}",
                          hint=f"Items: {', '.join(i.id for _, i in card.items)}")
    value = parse_answer(item, answer)
    if conn is None:
        with store.engine.begin() as own:
            return _review(own, card, card_id, call_id, scorecard, item_id, value, comment, reviewer)
    return _review(conn, card, card_id, call_id, scorecard, item_id, value, comment, reviewer)


def _review(conn: Connection, card: Scorecard, card_id: int, call_id: str, scorecard: str, item_id: str, value: Any,
            comment: str | None, reviewer: str) -> Result:
    for _ in range(50):
        row = conn.execute(select(scores).where(and_(scores.c.call_id == call_id, scores.c.scorecard_id == card_id))
                           .order_by(scores.c.updated_at.desc(), scores.c.id.desc()).limit(1).with_for_update()).first()
        if row is None:
            raise StoreError(f"call {call_id!r} has no score on {scorecard}",
                             hint=f"Score it first: heard score {call_id}")
        review = dict(row.review)
        review[item_id] = {"answer": value, "comment": comment, "reviewer": reviewer, "at": _now().isoformat()}
        automatic = Result.model_validate(row.automatic).answers
        final = compute(card, reviewed(card, automatic, review))
        done = conn.execute(update(scores).where(scores.c.id == row.id, scores.c.updated_at == row.updated_at).values(
            review=review, final=final.model_dump(mode="json"), final_total=final.total,
            auto_failed=final.auto_failed, updated_at=_now()))
        if done.rowcount == 1:
            aggregates.refresh(conn, [call_id])
            return final
    raise ConflictError(f"the score of call {call_id!r} kept changing while it was reviewed", hint="Try again.")


def latest_scores(store: Store, scorecard: str, version: int | None = None) -> list[dict[str, Any]]:
    """The newest score of every call on a scorecard version, with the call's agent, team and queue."""
    from heard.store.schema import calls

    card_id, card_version, _ = stored_card(store, scorecard, version)
    with store.engine.connect() as conn:
        rows = conn.execute(select(scores, calls.c.agent_id, calls.c.team, calls.c.queue)
                            .join(calls, calls.c.id == scores.c.call_id)
                            .where(scores.c.scorecard_id == card_id)
                            .order_by(scores.c.call_id, scores.c.updated_at.desc(), scores.c.id.desc())).all()
    seen: set[str] = set()
    out = []
    for r in rows:
        if r.call_id in seen:
            continue
        seen.add(r.call_id)
        out.append({"call_id": r.call_id, "agent": r.agent_id, "team": r.team, "queue": r.queue,
                    "scorecard": scorecard, "version": card_version, "analysers": r.analysers,
                    "automatic": Result.model_validate(r.automatic), "final": Result.model_validate(r.final),
                    "review": r.review, "tuning_id": r.tuning_id})
    return out


def apply_rules(store: Store, ruleset: RuleSet, ids: Sequence[str] | None = None, *,
                analyse_missing: bool = True, norms: dict[str, float] | None = None) -> RulesApplied:
    """Evaluate rules on stored calls, only where the rule or the call's analysis changed since last time."""
    report = RulesApplied(matched={r.name: 0 for r in ruleset.rules})
    wanted = list(ids) if ids is not None else store.call_ids()
    if analyse_missing:
        ensure_analysed(store, wanted)
    norms = norms if norms is not None else queue_norms(store)
    for offset in range(0, len(wanted), 200):
        chunk = wanted[offset: offset + 200]
        found = _analyses(store, chunk)
        with store.engine.connect() as conn:
            known = {(r.call_id, r.rule): r for r in conn.execute(select(
                rule_results.c.call_id, rule_results.c.rule, rule_results.c.rule_digest, rule_results.c.input_key,
                rule_results.c.matched).where(rule_results.c.call_id.in_(chunk)))}
        rows = []
        for call in store.iter_calls(chunk):
            analysis = found.get(call.id)
            report.calls += 1
            if analysis is None:
                report.errors.append((call.id, "the call has no analysis and it could not be analysed"))
                continue
            input_key = f"{analysis.content_hash}|{analysis_key(analysis.analysers)}"
            stale = [r for r in ruleset.rules if (old := known.get((call.id, r.name))) is None
                     or old.rule_digest != r.digest or old.input_key != input_key]
            report.unchanged += len(ruleset.rules) - len(stale)
            for r in ruleset.rules:
                old = known.get((call.id, r.name))
                if r not in stale and old is not None and old.matched:
                    report.matched[r.name] += 1
            if not stale:
                continue
            try:
                # Rules may use rules above them, so evaluate the whole set in order, then keep what changed.
                results = evaluate_rules(ruleset, Facts(call, analysis, norms=norms))
            except HeardError as exc:
                report.errors.append((call.id, str(exc)))
                continue
            for r in stale:
                m = results[r.name]
                report.evaluated += 1
                report.matched[r.name] += m.matched
                rows.append({"call_id": call.id, "rule": r.name, "rule_digest": r.digest, "input_key": input_key,
                             "category": r.category, "matched": m.matched, "missing": m.missing, "why": m.why,
                             "evidence": [e.model_dump(mode="json") for e in m.evidence], "evaluated_at": _now()})
        if rows:
            with store.engine.begin() as conn:
                for row in rows:
                    conn.execute(delete(rule_results).where(and_(rule_results.c.call_id == row["call_id"],
                                                                 rule_results.c.rule == row["rule"])))
                conn.execute(insert(rule_results), rows)
    return report


def rule_matches(store: Store, rule: str | None = None) -> list[dict[str, Any]]:
    """Stored rule results that matched, newest evaluation first."""
    query = select(rule_results).where(rule_results.c.matched.is_(True))
    if rule is not None:
        query = query.where(rule_results.c.rule == rule)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query.order_by(rule_results.c.rule, rule_results.c.call_id))]


__all__ = ["CardVersion", "RulesApplied", "Scored", "apply_rules", "latest_scores", "list_cards", "norms_of",
           "queue_norms", "register", "review_item", "rule_matches", "score_stored", "stored_card"]
