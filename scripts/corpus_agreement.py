"""Agreement between the corpus's independent annotators, and the consensus gold for the test split.

    .venv/bin/python scripts/corpus_agreement.py A7 A8

For each author given, reads the author's labelled calls (training/corpus/authored/) and the two
independent annotators' labels of the same calls made blind (training/corpus/annotations/X|Y/).
Prints Cohen's kappa per label between the two annotators (and each against the author), and writes
the consensus - the majority of the three, per turn and label - to training/corpus/gold/, which
scripts/train_model.py uses as the test split's labels. Figures go to training/corpus/agreement.json.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from sklearn.metrics import cohen_kappa_score

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "training" / "corpus"
BEHAVIOURS = ("acknowledge_emotion", "mirror_paraphrase", "clarifying_question", "explain_why", "summarise_goal",
              "next_steps", "reassurance", "confidence_check")
ANNOTATORS = ("X", "Y")


def _lines(path: Path) -> dict[str, dict[str, Any]]:
    return {d["id"]: d for d in (json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip())}


def _labels(turn: dict[str, Any]) -> set[str]:
    found = set(turn.get("behaviours") or [])
    if turn.get("opportunity"):
        found.add("opportunity")
    return found


def main(authors: list[str]) -> None:
    pairs: dict[str, list[tuple[int, int, int]]] = {label: [] for label in (*BEHAVIOURS, "opportunity", "role")}
    turns_done = 0
    calls_done = 0
    (CORPUS / "gold").mkdir(exist_ok=True)
    for author in authors:
        authored = _lines(CORPUS / "authored" / f"{author}.jsonl")
        marked = [_lines(CORPUS / "annotations" / a / f"{author}.jsonl") for a in ANNOTATORS]
        gold_lines = []
        for call_id, call in authored.items():
            if not all(call_id in m for m in marked):
                continue
            turns = [t for t in call["turns"] if str(t.get("text") or "").strip()]
            theirs = [{t["n"]: t for t in m[call_id]["turns"]} for m in marked]
            if not all(len(t) == len(turns) for t in theirs):
                print(f"{call_id}: an annotator's turn count differs; left out", file=sys.stderr)
                continue
            calls_done += 1
            gold_turns = []
            for n, turn in enumerate(turns):
                mine = _labels(turn)
                x, y = (_labels(t[n]) for t in theirs)
                role = turn["role"]
                pairs["role"].append(tuple(int(r == "agent") for r in (role, theirs[0][n].get("role"),
                                                                       theirs[1][n].get("role"))))
                scope = BEHAVIOURS if role == "agent" else ("opportunity",) if role == "customer" else ()
                consensus = set()
                for label in scope:
                    votes = (label in mine, label in x, label in y)
                    pairs[label].append(tuple(int(v) for v in votes))
                    if sum(votes) >= 2:
                        consensus.add(label)
                kinds = Counter(k for k in (turn.get("kind"), theirs[0][n].get("kind"), theirs[1][n].get("kind")) if k)
                gold_turns.append({**turn, "behaviours": sorted(consensus - {"opportunity"}),
                                   "opportunity": "opportunity" in consensus,
                                   "kind": kinds.most_common(1)[0][0] if "opportunity" in consensus and kinds
                                   else None})
                turns_done += 1
            gold_lines.append(json.dumps({**call, "turns": gold_turns}, ensure_ascii=False))
        (CORPUS / "gold" / f"{author}.jsonl").write_text("\n".join(gold_lines) + "\n", encoding="utf-8")
    figures: dict[str, Any] = {"calls": calls_done, "turns": turns_done, "labels": {}}
    print(f"{calls_done} calls, {turns_done} turns labelled by the author and two independent annotators")
    print(f"{'label':22} {'turns':>6} {'X':>5} {'Y':>5} {'kappa X-Y':>9} {'author-X':>9} {'author-Y':>9}")
    for label, votes in pairs.items():
        if not votes:
            continue
        a, x, y = ([v[k] for v in votes] for k in range(3))
        kappa = {name: round(float(cohen_kappa_score(p, q)), 3) if len(set(p) | set(q)) > 1 else None
                 for name, (p, q) in (("x_y", (x, y)), ("author_x", (a, x)), ("author_y", (a, y)))}
        figures["labels"][label] = {"turns": len(votes), "x": sum(x), "y": sum(y), "author": sum(a),
                                    "kappa": kappa}
        print(f"{label:22} {len(votes):6} {sum(x):5} {sum(y):5} {kappa['x_y']!s:>9} {kappa['author_x']!s:>9} "
              f"{kappa['author_y']!s:>9}")
    (CORPUS / "agreement.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
