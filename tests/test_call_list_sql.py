"""The call list in SQL (heard.web.views.call_rows) against the Python path it replaced, keyset paging, scope, and
the weekly totals (heard.store.aggregates) against a recount from scratch, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, update

from heard.auth.accounts import SYSTEM, User, UserRole, call_scope
from heard.model import CallAnalysis, Finding, OutcomeRecord
from heard.store import Store, aggregates
from heard.store.schema import agent_weeks, analyses, calls, scorecards, scores
from heard.web import views
from tests.conftest import make_call, migrate_down

AGENTS = [("ana", "north"), ("ben", "north"), ("kim", "south"), ("lou", "south"), ("max", None), (None, "west")]
QUEUES = ["billing", "tech", None]
LABELS = ["acknowledge_emotion", "apology", "reassurance", "ownership", "early_acknowledgement"]
START = datetime(2026, 1, 1, tzinfo=UTC)
USERS = {
    "qa": User(1, "quinn", "Quinn", UserRole.QA, None, None),
    "lead_north": User(2, "nora", "Nora", UserRole.LEAD, None, "north"),
    "lead_south": User(3, "sam", "Sam", UserRole.LEAD, None, "south"),
    "agent_ana": User(4, "ana", "Ana", UserRole.AGENT, "ana", "north"),
    "agent_nobody": User(5, "zed", "Zed", UserRole.AGENT, None, None),
}


def analysis_of(call_id: str, digest: str, rng: random.Random, *, version: int = 1) -> CallAnalysis:
    """A hand-made analysis: some behaviours, robotic flags and escalations, picked by `rng`."""
    found = [Finding(kind="behaviour", label=b, analyser="empathy") for b in LABELS if rng.random() < 0.4]
    found += [Finding(kind="robotic", label="canned", analyser="empathy")] * rng.choice([0, 0, 0, 1, 2])
    found += [Finding(kind="escalation", label="supervisor", analyser="escalation")] * rng.choice([0, 0, 0, 1])
    return CallAnalysis(call_id=call_id, content_hash=digest, analysers={"empathy": version}, findings=found)


def crowd(store: Store, n: int = 240, seed: int = 7) -> None:
    """n calls over six agents and three teams: most analysed, most of those scored (hand-written score rows)."""
    rng = random.Random(seed)
    made = []
    for i in range(n):
        agent, team = rng.choice(AGENTS)
        started = None if rng.random() < 0.06 else START + timedelta(minutes=rng.randrange(60 * 24 * 120))
        call = make_call(f"c{i:04d}", agent_id=agent, team=team, queue=rng.choice(QUEUES), started_at=started,
                         reason=f"r{i}")
        store.add_call(call)
        made.append(call)
    store.save_analyses([analysis_of(c.id, c.content_hash(), rng) for c in made if rng.random() < 0.85])
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        card = conn.execute(insert(scorecards).values(name=aggregates.LIST_CARD, version=1, digest="d1",
                                                      definition={}, created_at=now)).inserted_primary_key[0]
        rows = []
        for c in made:
            if rng.random() < 0.2:
                continue
            total = rng.choice([None, *range(0, 101, 5)])
            final = {"total": total, "auto_failed": rng.random() < 0.1, "category": "meets",
                     "answers": [{"item": "greet", "fraction": rng.choice([0.0, 0.5, 1.0])},
                                 {"item": "empathy", "fraction": rng.choice([0.0, 1.0, None])}]}
            rows.append({"call_id": c.id, "scorecard_id": card, "analysis_key": "k", "analysers": {}, "rules": {},
                         "automatic": final, "final": final, "review": {}, "auto_total": total, "final_total": total,
                         "auto_failed": final["auto_failed"], "created_at": now, "updated_at": now})
        conn.execute(insert(scores), rows)
        aggregates.refresh(conn, [c.id for c in made])


@pytest.fixture
def crowded(store: Store) -> Store:
    crowd(store)
    return store


# --- the Python path the SQL replaced: every call in scope read, then filtered and sorted here ----------------

def old_rows(store: Store, user: User) -> list[dict[str, Any]]:
    """Every call the user may see with its latest score and summary, as the list showed them before."""
    with store.engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            select(calls.c.id, calls.c.agent_id, calls.c.team, calls.c.queue, calls.c.started_at)
            .where(call_scope(user)))]
        latest: dict[str, Any] = {}
        for r in conn.execute(select(scores.c.call_id, scores.c.final_total)
                              .join(scorecards, scorecards.c.id == scores.c.scorecard_id)
                              .where(scorecards.c.name == aggregates.LIST_CARD)
                              .order_by(scorecards.c.version, scores.c.updated_at, scores.c.id)):
            latest[r.call_id] = r.final_total
    summaries = store.latest_summaries([r["id"] for r in rows])
    for r in rows:
        r["score"] = latest.get(r["id"])
        r.update(summaries.get(r["id"], views.EMPTY))
    return rows


def old_filter(rows: list[dict[str, Any]], f: views.CallFilters) -> list[str]:
    out = [r for r in rows if (not f.agent or r["agent_id"] == f.agent) and (not f.team or r["team"] == f.team)
           and (not f.queue or r["queue"] == f.queue)]
    if f.date_from or f.date_to:
        out = [r for r in out if r["started_at"] is not None
               and (f.date_from is None or r["started_at"].date() >= f.date_from)
               and (f.date_to is None or r["started_at"].date() <= f.date_to)]
    if f.min_score is not None:
        out = [r for r in out if r["score"] is not None and r["score"] >= f.min_score]
    if f.max_score is not None:
        out = [r for r in out if r["score"] is not None and r["score"] <= f.max_score]
    if f.behaviour:
        out = [r for r in out if f.behaviour in r["behaviours"]]
    if f.missing:
        out = [r for r in out if f.missing not in r["behaviours"]]
    if f.robotic is not None:
        out = [r for r in out if (r["robotic"] > 0) == f.robotic]
    if f.escalation is not None:
        out = [r for r in out if (r["escalations"] > 0) == f.escalation]
    field = {"started_at": "started_at", "score": "score", "agent": "agent_id", "id": "id"}[f.sort.lstrip("-")]
    desc = f.sort.startswith("-")
    present = sorted((r for r in out if r[field] is not None), key=lambda r: (r[field], r["id"]), reverse=desc)
    absent = sorted((r for r in out if r[field] is None), key=lambda r: r["id"], reverse=desc)
    return [r["id"] for r in present + absent]


filters = st.builds(
    views.CallFilters,
    agent=st.sampled_from([None, "ana", "kim", "max", "nobody"]),
    team=st.sampled_from([None, "north", "south", "west"]),
    queue=st.sampled_from([None, "billing", "tech"]),
    date_from=st.sampled_from([None, START.date(), (START + timedelta(days=40)).date()]),
    date_to=st.sampled_from([None, (START + timedelta(days=60)).date(), (START + timedelta(days=200)).date()]),
    min_score=st.sampled_from([None, 0.0, 35.0, 72.5]),
    max_score=st.sampled_from([None, 50.0, 100.0]),
    behaviour=st.sampled_from([None, *LABELS, "a%b_", "x,y"]),
    missing=st.sampled_from([None, *LABELS, "a%b_"]),
    robotic=st.sampled_from([None, True, False]),
    escalation=st.sampled_from([None, True, False]),
    sort=st.sampled_from(views.SORTS),
    limit=st.sampled_from([1, 5, 50, 1000]),
    offset=st.sampled_from([0, 3, 200]),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(f=filters, who=st.sampled_from(sorted(USERS)))
def test_call_rows_sql_equals_python_path(crowded: Store, f: views.CallFilters, who: str) -> None:
    user = USERS[who]
    expected = old_filter(old_rows(crowded, user), f)
    rows, total = views.call_rows(crowded, user, f)
    assert [r["id"] for r in rows] == expected[f.offset: f.offset + f.limit]
    assert total == len(expected)   # a few hundred calls: under the cap, so exact


@pytest.mark.parametrize("sort", views.SORTS)
@pytest.mark.parametrize("who", ["qa", "lead_north", "agent_ana"])
def test_call_rows_keyset_visits_every_call_once(crowded: Store, sort: str, who: str) -> None:
    user = USERS[who]
    expected = old_filter(old_rows(crowded, user), views.CallFilters(sort=sort))  # type: ignore[arg-type]
    seen: list[str] = []
    after = None
    for _ in range(1000):
        f = views.CallFilters(sort=sort, limit=7, after=after)  # type: ignore[arg-type]
        rows, _ = views.call_rows(crowded, user, f)
        seen += [r["id"] for r in rows]
        after = views.next_after(f, rows)
        if after is None:
            break
    assert seen == expected and len(set(seen)) == len(seen)


@pytest.mark.parametrize("who", sorted(USERS))
def test_call_rows_scope_holds(crowded: Store, who: str) -> None:
    user = USERS[who]
    rows, total = views.call_rows(crowded, user, views.CallFilters(limit=1000))
    with crowded.engine.connect() as conn:
        everything = {r.id: r for r in conn.execute(select(calls.c.id, calls.c.agent_id, calls.c.team))}
    if user.sees_all:
        wanted = set(everything)
    elif user.role is UserRole.LEAD:
        wanted = {i for i, r in everything.items() if r.team == user.team}
    else:
        wanted = {i for i, r in everything.items() if user.agent_id and r.agent_id == user.agent_id}
    assert {r["id"] for r in rows} == wanted and total == len(wanted)
    weeks = views.weeks_of(crowded, user)
    if not user.sees_all:
        assert all((w.team == user.team) if user.role is UserRole.LEAD else (w.agent_id == user.agent_id)
                   for w in weeks)
    assert sum(w.calls for w in weeks) == sum(1 for r in rows if r["score"] is not None or r["version"] is not None
                                              or _analysed(crowded, r["id"]))


def _analysed(store: Store, call_id: str) -> bool:
    return bool(store.latest_summaries([call_id]))


def test_call_rows_total_is_capped(crowded: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views, "TOTAL_CAP", 10)
    _, total = views.call_rows(crowded, USERS["qa"], views.CallFilters(limit=5))
    assert total == 11   # one past the cap: "more than 10"
    estimate = views.estimated_total(crowded, USERS["qa"], views.CallFilters())
    assert estimate >= 11 if crowded.engine.dialect.name == "postgresql" else estimate == 11


@pytest.mark.parametrize("after", ["not-a-cursor", "W10="])
def test_call_filters_bad_cursor_says_what_to_do(after: str) -> None:
    with pytest.raises(ValueError, match="pass the `next` value"):
        views.CallFilters(after=after)


def test_call_filters_cursor_of_another_sort_is_refused() -> None:
    cursor = views.next_after(views.CallFilters(limit=1, sort="id"), [{"id": "c1"}])
    with pytest.raises(ValueError, match="keep the sort"):
        views.CallFilters(after=cursor, sort="-score")


# --- weekly totals ----------------------------------------------------------------------------------------------

def totals(store: Store) -> dict[tuple[Any, ...], dict[str, Any]]:
    with store.engine.connect() as conn:
        out = {}
        for r in conn.execute(select(agent_weeks)):
            row = dict(r._mapping)
            row.pop("id")
            key = (row.pop("agent_id"), row.pop("team"), row.pop("week"))
            assert key not in out, f"agent-week {key} counted twice"
            row["score_sum"] = round(row["score_sum"], 6)
            row["item_sums"] = {k: [round(v[0], 6), v[1]] for k, v in row["item_sums"].items()}
            out[key] = row
        return out


def from_scratch(store: Store) -> dict[tuple[Any, ...], dict[str, Any]]:
    with store.engine.begin() as conn:
        aggregates.rebuild(conn)
    return totals(store)


def test_weekly_totals_equal_recount_after_reanalysis_rescoring_and_moves(crowded: Store) -> None:
    kept = totals(crowded)
    assert kept == from_scratch(crowded) and kept
    rng = random.Random(3)
    ids = [f"c{i:04d}" for i in range(0, 240, 3)]
    digests = {c.id: c.content_hash() for c in crowded.iter_calls(ids)}
    # Re-analysing with the same analyser versions replaces the analysis; with new ones adds a newer one.
    crowded.save_analyses([analysis_of(i, digests[i], rng) for i in ids[:40]])
    crowded.save_analyses([analysis_of(i, digests[i], rng, version=2) for i in ids[40:]])
    # Re-scoring: a newer score row for some calls.
    with crowded.engine.begin() as conn:
        conn.execute(update(scores).where(scores.c.call_id.in_(ids[:30])).values(final_total=12.5,
                                                                                 updated_at=datetime.now(UTC)))
        aggregates.refresh(conn, ids[:30])
    # A call moves agent, team and week; another is replaced (its analyses and scores go with it).
    moved = {"agent_id": "kim", "team": "south", "started_at": "2026-03-30T10:00:00+00:00"}
    crowded.apply_outcome(OutcomeRecord(call_id="c0001", outcome=None, fields=moved))
    crowded.add_call(make_call("c0002", turns=2, agent_id="ana", team="north"), replace=True)
    after = totals(crowded)
    assert after == from_scratch(crowded)
    with crowded.engine.connect() as conn:   # each call counted once: those with an analysis or a score
        counted = {r.call_id for r in conn.execute(select(analyses.c.call_id))} | {
            r.call_id for r in conn.execute(select(scores.c.call_id))}
    assert sum(r["calls"] for r in after.values()) == len(counted) and "c0002" not in counted


def test_weekly_totals_same_after_saving_twice(crowded: Store) -> None:
    before = totals(crowded)
    rng = random.Random(11)
    analyses = []
    for c in crowded.iter_calls(["c0005", "c0006"]):
        analyses.append(analysis_of(c.id, c.content_hash(), rng))
    crowded.save_analyses(analyses)
    once = totals(crowded)
    crowded.save_analyses(analyses)
    assert totals(crowded) == once == from_scratch(crowded)
    assert sum(r["calls"] for r in once.values()) >= sum(r["calls"] for r in before.values())


def test_rates_and_weekly_scores_equal_the_call_by_call_figures(crowded: Store) -> None:
    rows = old_rows(crowded, SYSTEM)
    weeks = views.weeks_of(crowded, SYSTEM, team="north")
    summed = views.by_agent(views.agent_totals(crowded, SYSTEM, team="north"))
    assert summed.keys() == views.by_agent(weeks).keys()
    for agent, mine in summed.items():
        members = [r for r in rows if r["team"] == "north" and (r["agent_id"] or "-") == agent]
        analysed = crowded.latest_summaries([r["id"] for r in members])
        rates = views.behaviour_rates(mine)
        for label in views.RATED:
            found = sum(label in s["behaviours"] for s in analysed.values())
            assert rates[label] == pytest.approx(round(100 * found / len(analysed), 1) if analysed else 0.0)
        by_week: dict[str, list[float]] = defaultdict(list)
        for r in members:
            if r["score"] is not None and r["started_at"] is not None:
                year, week, _ = r["started_at"].isocalendar()
                by_week[f"{year}-W{week:02d}"].append(r["score"])
        expected = {w: sum(v) / len(v) for w, v in by_week.items()}
        got = views.weekly(views.by_agent(weeks)[agent]).get(agent, {})
        assert got.keys() == expected.keys()
        assert all(got[w] == pytest.approx(expected[w], abs=0.051) for w in got)


def test_migration_0011_backfills_from_existing_rows(crowded: Store) -> None:
    """Going back to 0010 and up again rebuilds the list columns and the weekly totals from analyses and scores."""
    expected_rows, _ = views.call_rows(crowded, SYSTEM, views.CallFilters(limit=1000, sort="id"))
    expected_weeks = totals(crowded)
    migrate_down(crowded, "0010")
    crowded.migrate()
    rows, _ = views.call_rows(crowded, SYSTEM, views.CallFilters(limit=1000, sort="id"))
    assert rows == expected_rows and totals(crowded) == expected_weeks


@pytest.mark.parametrize("who", ["qa", "lead_north", "agent_ana"])
def test_agent_totals_equal_the_weekly_rows_added_up(crowded: Store, who: str) -> None:
    user = USERS[who]
    visible = {(w.agent_id, w.team) for w in views.weeks_of(crowded, user)}
    rows = totals(crowded)
    for t in views.agent_totals(crowded, user):
        assert (t.agent_id, t.team) in visible
        mine = [r for (a, team, _), r in rows.items() if (a, team) == (t.agent_id, t.team)]
        assert t.calls == sum(r["calls"] for r in mine) and t.analysed == sum(r["analysed"] for r in mine)
        for label in views.RATED:
            assert t.behaviours.get(label, 0) == sum(r["behaviours"].get(label, 0) for r in mine)
        for item in ("greet", "empathy"):
            pair = t.item_sums.get(item, [0.0, 0.0])
            assert pair[0] == pytest.approx(sum(r["item_sums"].get(item, [0, 0])[0] for r in mine))
            assert pair[1] == sum(r["item_sums"].get(item, [0, 0])[1] for r in mine)
