"""The web app's pages and list endpoints on N stored calls: p95 latency of each, as a QA user and a team lead.

    python benchmarks/web_calls.py --calls 100000 --db postgresql://postgres@127.0.0.1:5432/heard_bench
    python benchmarks/web_calls.py --calls 2000          # SQLite: import and analyse for real, then time

With --db (PostgreSQL), N calls' rows are generated directly in the database by INSERT ... SELECT
generate_series (about 5,000 agents in 200 teams, a year of start times, summaries and scores on the call rows,
then the weekly totals grouped from them): no import or analysis. The database must be empty, or hold exactly the
N calls an earlier run generated (then they are reused). Without --db, N generated calls are imported into a fresh
SQLite store and analysed with every analyser (2 processes), as before.

Then every page and list endpoint whose cost could grow with the number of calls is requested --repeat times
(after one untimed warm-up) in-process through the ASGI app (fastapi.testclient), and the table gives the median
and p95 in milliseconds and whether p95 is under --target ms; the last line is the same as JSON. The baseline of
the run is GET /api/health (the app's own overhead), measured the same way.

Pages that read analyses, turns, evaluations or coaching rows (insights, team huddle/load/wins/scripts) are timed
too, but with --db those tables are empty, so their figures say nothing about their cost on real data.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from heard.auth.accounts import add_user
from heard.empathy.lexicon import BEHAVIOURS
from heard.scorecards import definition
from heard.scorecards.service import register
from heard.store import Store
from heard.store.schema import calls
from heard.web import views
from heard.web.app import create_app

PASSWORD = "bench-password"
LABELS = [*BEHAVIOURS, "early_acknowledgement"]


def generate_rows(store: Store, n: int, agents: int = 5000, teams: int = 200) -> None:
    """N calls' rows with their list columns, straight into PostgreSQL, then the weekly totals grouped from them."""
    items = [i.id for _, i in definition.load().items]
    bits = ", ".join(f"random() < {0.15 + 0.6 * k / len(LABELS):.3f} AS b{k}" for k in range(len(LABELS)))
    labels = "array_remove(ARRAY[" + ", ".join(f"CASE WHEN b{k} THEN '{b}' END" for k, b in enumerate(LABELS)) \
        + "]::text[], NULL)"
    behaviours = "',' || " + " || ".join(f"CASE WHEN b{k} THEN '{b},' ELSE '' END" for k, b in enumerate(LABELS))
    score_items = "json_build_object(" + ", ".join(f"'{i}', round((random())::numeric, 1)" for i in items) + ")"
    with store.engine.begin() as conn:
        conn.execute(text("SELECT setseed(0.42)"))
        conn.execute(text(f"""
            INSERT INTO calls (id, content_hash, agent_id, team, queue, reason, channel, started_at, language, meta,
                               vendor_metrics, n_turns, imported_at, summary, behaviours, robotic, escalations,
                               score, auto_score, auto_failed, category, score_version, score_items)
            SELECT id, md5(id), 'agent-' || agent, 'team-' || (agent % {teams}),
                   (ARRAY['billing','tech','sales','retention'])[1 + (g % 4)], 'reason', 'voice',
                   CASE WHEN g % 97 = 0 THEN NULL
                        ELSE timestamptz '2025-11-27 00:00+00' + (random() * interval '365 days') END,
                   'en', '{{}}', '{{}}', 20, now(),
                   CASE WHEN analysed THEN json_build_object('behaviours', to_json({labels}), 'robotic', rob,
                        'escalations', esc, 'opportunities', 3, 'met', 2, 'duration', 300.0) END,
                   CASE WHEN analysed THEN {behaviours} END,
                   CASE WHEN analysed THEN rob END, CASE WHEN analysed THEN esc END,
                   CASE WHEN scored THEN sc END, CASE WHEN scored THEN sc END,
                   CASE WHEN scored THEN sc < 8 END,
                   CASE WHEN scored THEN CASE WHEN sc < 50 THEN 'needs_improvement' WHEN sc < 80 THEN 'meets'
                        ELSE 'exceeds' END END,
                   CASE WHEN scored THEN 1 END, CASE WHEN scored THEN {score_items} END
            FROM (SELECT g, 'call-' || lpad(g::text, 8, '0') AS id, (g::bigint * 7919) % {agents} AS agent,
                         random() < 0.92 AS analysed, random() < 0.85 AS scored,
                         round((random() * 100)::numeric, 1)::float AS sc,
                         (random() < 0.12)::int * (1 + (random() * 2)::int) AS rob,
                         (random() < 0.04)::int AS esc, {bits}
                  FROM generate_series(1, {n}) AS g) AS r
        """))
        week = "date_trunc('week', started_at AT TIME ZONE 'UTC')::date"
        counted = "(summary IS NOT NULL OR score_version IS NOT NULL)"
        found = ", ".join(f"'{b}', count(*) FILTER (WHERE behaviours LIKE '%,{b},%')" for b in LABELS)
        item_sums = ", ".join(
            f"'{i}', json_build_array(coalesce(sum((score_items->>'{i}')::float), 0), count(score_items->>'{i}'))"
            for i in items)
        conn.execute(text(f"""
            INSERT INTO agent_weeks (agent_id, team, week, calls, analysed, behaviours, robotic, escalations, scored,
                                     score_sum, auto_fails, item_sums)
            SELECT agent_id, team, {week}, count(*), count(summary), json_build_object({found}),
                   count(*) FILTER (WHERE robotic > 0), count(*) FILTER (WHERE escalations > 0), count(score),
                   coalesce(sum(score), 0), count(*) FILTER (WHERE auto_failed), json_build_object({item_sums})
            FROM calls WHERE {counted} GROUP BY agent_id, team, {week}
        """))
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE calls"))
        conn.execute(text("VACUUM ANALYZE agent_weeks"))


def import_and_analyse(store: Store, n: int) -> None:
    from heard.runners.local import analyse_and_store
    from heard.samples.generate import generate
    from heard.scorecards import rules
    from heard.scorecards.service import score_stored

    for call in generate(n, seed=0):
        store.add_call(call)
    list(analyse_and_store(store, store.iter_calls(), workers=2))
    list(score_stored(store, definition.load(), rules.load()))


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--db", help="a PostgreSQL URL: generate the rows there (else SQLite, imported and analysed)")
    parser.add_argument("--repeat", type=int, default=20, help="timed requests per endpoint")
    parser.add_argument("--target", type=float, default=300.0, help="p95 target in ms")
    args = parser.parse_args()
    t0 = time.perf_counter()
    if args.db:
        store = Store.open(args.db)
        have = store.count_calls()
        if have == 0:
            generate_rows(store, args.calls)
            print(f"{args.calls} calls' rows generated in {time.perf_counter() - t0:.1f} s")
        elif have != args.calls:
            print(f"{args.db} holds {have} calls, not {args.calls}: give an empty database", file=sys.stderr)
            return 2
        else:
            print(f"reusing the {have} calls already in {args.db}")
    else:
        store = Store.open(f"sqlite:///{tempfile.mkdtemp(prefix='heard-web-bench-')}/heard.db")
        import_and_analyse(store, args.calls)
        print(f"{args.calls} calls imported, analysed and scored in {time.perf_counter() - t0:.1f} s")
    register(store, definition.load())
    with store.engine.connect() as conn:
        team, agent = conn.execute(select(calls.c.team, calls.c.agent_id).where(calls.c.team.is_not(None))
                                   .group_by(calls.c.team, calls.c.agent_id)
                                   .order_by(func.count().desc()).limit(1)).one()
        n = int(conn.execute(select(func.count()).select_from(calls)).scalar_one())
        queue = conn.execute(select(calls.c.queue).where(calls.c.queue.is_not(None)).limit(1)).scalar_one()
        deep = {}   # the `after` cursor of the row half-way down each user's default list
        for who, scope, size in (("bench-qa", calls.c.id.is_not(None), n),
                                 ("bench-lead", calls.c.team == team, n // 200)):
            row = conn.execute(select(calls.c.id, calls.c.started_at).where(scope).order_by(
                calls.c.started_at.desc().nulls_last(), calls.c.id.desc()).offset(size // 2).limit(1)).one()
            deep[who] = views.next_after(views.CallFilters(limit=1),
                                         [{"id": row.id, "started_at": row.started_at.isoformat()}])
    for name, role, team_of in (("bench-qa", "qa", None), ("bench-lead", "lead", team)):
        with contextlib.suppress(Exception):   # already there from an earlier run on this database
            add_user(store, name, PASSWORD, role, team=team_of)
    behaviour = LABELS[0]
    endpoints = [
        ("health (baseline)", "/api/health"),
        ("list first page", "/api/calls?limit=50"),
        ("list agent=", f"/api/calls?limit=50&agent={quote(agent)}"),
        ("list team=", f"/api/calls?limit=50&team={quote(team)}"),
        ("list queue=", f"/api/calls?limit=50&queue={quote(queue)}"),
        ("list one month", "/api/calls?limit=50&date_from=2026-03-01&date_to=2026-03-31"),
        ("list min_score=90", "/api/calls?limit=50&min_score=90"),
        ("list max_score=10", "/api/calls?limit=50&max_score=10"),
        ("list behaviour=", f"/api/calls?limit=50&behaviour={behaviour}"),
        ("list missing=", f"/api/calls?limit=50&missing={behaviour}"),
        ("list robotic=true", "/api/calls?limit=50&robotic=true"),
        ("list robotic=false", "/api/calls?limit=50&robotic=false"),
        ("list escalation=true", "/api/calls?limit=50&escalation=true"),
        ("list sort=started_at", "/api/calls?limit=50&sort=started_at"),
        ("list sort=score", "/api/calls?limit=50&sort=score"),
        ("list sort=-score", "/api/calls?limit=50&sort=-score"),
        ("list sort=agent", "/api/calls?limit=50&sort=agent"),
        ("list sort=id", "/api/calls?limit=50&sort=id"),
        ("list deep keyset page", "/api/calls?limit=50&after={deep}"),
        ("list offset=1000", "/api/calls?limit=50&offset=1000"),
        ("calls page", "/calls"),
        ("agent page", f"/agents/{quote(agent)}"),
        ("team page", f"/teams/{quote(team)}"),
        ("coaching page", "/coaching"),
        ("disputes page", "/disputes"),
        ("evaluations list", "/api/evaluations"),
        ("insights page", "/insights"),
        ("team huddle", "/team/huddle"),
        ("team load", "/team/load"),
        ("team wins", "/team/wins"),
        ("team scripts", "/team/scripts"),
    ]
    app = create_app(store, secret="bench")
    results: list[dict[str, Any]] = []
    for who in ("bench-qa", "bench-lead"):
        client = TestClient(app)
        r = client.post("/api/session", json={"username": who, "password": PASSWORD})
        assert r.status_code == 200, r.text
        for name, url in endpoints:
            url = url.replace("{deep}", deep[who])
            if who == "bench-lead" and ("team=" in name or "agent=" in name):
                continue   # a lead's list is one team already
            results.append(measure(client, who, name, url, args.repeat))
    print(f"{n} calls on {store.engine.dialect.name}; {os.cpu_count()} cores; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; p95 over {args.repeat} requests (ms)")
    print(f"  {'endpoint':28} {'user':10} {'status':>6} {'median':>8} {'p95':>8}  target")
    for r in results:
        ok = "ok" if r["p95_ms"] < args.target else "MISS"
        print(f"  {r['endpoint']:28} {r['user'][6:]:10} {r['status']:>6} {r['median_ms']:8.1f} "
              f"{r['p95_ms']:8.1f}  {ok}")
    print(json.dumps({"calls": n, "db": store.engine.dialect.name, "repeat": args.repeat, "target_ms": args.target,
                      "load_average": os.getloadavg(), "results": results}))
    return 0


def measure(client: TestClient, who: str, name: str, url: str, repeat: int) -> dict[str, Any]:
    def once() -> int:
        return client.get(url).status_code

    warm = timed(once)   # warm-up, untimed
    status = client.get(url).status_code
    # A page that takes seconds is timed 3 times, not --repeat: its p95 is then the slowest of 3.
    times = [timed(once) for _ in range(repeat if warm < 2000 else 3)]
    return {"endpoint": name, "user": who, "url": url, "status": status, "requests": len(times),
            "median_ms": round(statistics.median(times), 1), "p95_ms": round(p95(times), 1)}


def timed(fn: Callable[[], int]) -> float:
    t0 = time.perf_counter()
    fn()
    return 1000 * (time.perf_counter() - t0)


if __name__ == "__main__":
    sys.exit(main())
