"""Readers for evaluation datasets in their own formats, with the label mapping documented in docs/accuracy.md.

The datasets' licences forbid shipping models trained on them and redistributing them: heard only reads
them from where they are and never stores or copies them.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from heard.errors import IngestError
from heard.model import Call, Role, Turn


@dataclass
class Labelled:
    """One call, and for each labelled agent turn the heard behaviours a person marked there."""

    call: Call
    labels: dict[int, set[str]] = field(default_factory=dict)      # turn -> behaviours marked present
    evaluated: dict[int, set[str]] = field(default_factory=dict)   # turn -> behaviours a person judged there


# Each dataset is scored on its own labels; ACCEPTS says which heard behaviours count as finding one.
# The mapping follows the datasets' own descriptions (see docs/accuracy.md).
ESCONV = {"Question": "ESConv Question", "Restatement or Paraphrasing": "ESConv Restatement or Paraphrasing",
          "Reflection of feelings": "ESConv Reflection of feelings",
          "Affirmation and Reassurance": "ESConv Affirmation and Reassurance"}
EPITOME = {"emotional-reactions": "EPITOME emotional reactions", "interpretations": "EPITOME interpretations",
           "explorations": "EPITOME explorations"}
ANNOMI = {"question": "AnnoMI question", "reflection": "AnnoMI reflection"}
ACKNOWLEDGE = {"acknowledge_emotion", "early_acknowledgement"}
MIRROR = {"mirror_paraphrase", "summarise_goal"}
# The datasets' question labels are any information-seeking question: heard's `question` output (or a
# clarifying question, which is one).
QUESTIONS = {"question", "clarifying_question"}
ACCEPTS = {
    "ESConv Question": QUESTIONS,
    "ESConv Restatement or Paraphrasing": MIRROR,
    "ESConv Reflection of feelings": ACKNOWLEDGE,
    "ESConv Affirmation and Reassurance": {"reassurance"},
    "EPITOME emotional reactions": ACKNOWLEDGE | {"reassurance"},
    "EPITOME interpretations": MIRROR | ACKNOWLEDGE,
    "EPITOME explorations": QUESTIONS,
    "AnnoMI question": QUESTIONS,
    "AnnoMI reflection": MIRROR | ACKNOWLEDGE,
    # heard's own gold labels are heard behaviours: each accepts itself (and early for acknowledge).
    "acknowledge_emotion": ACKNOWLEDGE,
}


def _turn(role: Role, text: str) -> Turn | None:
    text = " ".join(str(text).split())
    return Turn(speaker=role, text=text) if text else None


def read_esconv(path: Path) -> Iterator[Labelled]:
    """ESConv JSON Lines: one conversation per line; supporter ("sys") messages carry a `strategy`."""
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                dialog = json.loads(line)["dialog"]
            except (ValueError, KeyError, TypeError) as exc:
                raise IngestError(f"not an ESConv conversation: {exc}", path=str(path), line=number,
                                  hint="Pass ESConv's train/valid/test JSON Lines file.") from None
            turns: list[Turn] = []
            labels: dict[int, set[str]] = {}
            for message in dialog:
                turn = _turn(Role.AGENT if message.get("speaker") == "sys" else Role.CUSTOMER, message.get("text", ""))
                if turn is None:
                    continue
                if turn.speaker is Role.AGENT:
                    labels[len(turns)] = {ESCONV[s] for s in [message.get("strategy")] if s in ESCONV}
                turns.append(turn)
            if turns:
                # Each supporter message has exactly one strategy, so it is judged on all four behaviours.
                judged = {t: set(ESCONV.values()) for t in labels}
                yield Labelled(Call(id=f"esconv-{number}", turns=turns), labels, judged)


def read_epitome(folder: Path) -> Iterator[Labelled]:
    """EPITOME Reddit CSVs: (seeker post, response post) pairs, one file per mechanism, level >= 1 is positive."""
    pairs: dict[tuple[str, str], tuple[str, str]] = {}
    positive: dict[tuple[str, str], set[str]] = defaultdict(set)
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for mechanism, behaviour in EPITOME.items():
        path = folder / f"{mechanism}-reddit.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                key = (row["sp_id"], row["rp_id"])
                pairs.setdefault(key, (row["seeker_post"], row["response_post"]))
                seen[key].add(behaviour)
                if row["level"].strip() in ("1", "2"):
                    positive[key].add(behaviour)
    if not pairs:
        raise IngestError("no EPITOME files found", path=str(folder),
                          hint="Pass the folder holding emotional-reactions-reddit.csv and the others.")
    for n, (key, (seeker, response)) in enumerate(sorted(pairs.items())):
        turns = [t for t in (_turn(Role.CUSTOMER, seeker), _turn(Role.AGENT, response)) if t is not None]
        if len(turns) == 2:
            # A pair missing from one mechanism's file was not judged on that mechanism.
            yield Labelled(Call(id=f"epitome-{n}", turns=turns), {1: positive[key]}, {1: seen[key]})


def read_annomi(path: Path) -> Iterator[Labelled]:
    """AnnoMI-simple.csv: one utterance per row; therapist rows carry `main_therapist_behaviour`."""
    by_transcript: dict[str, list[dict[str, str]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            by_transcript[row["transcript_id"]].append(row)
    for transcript, rows in sorted(by_transcript.items(), key=lambda kv: int(kv[0])):
        rows.sort(key=lambda r: int(r["utterance_id"]))
        turns: list[Turn] = []
        labels: dict[int, set[str]] = {}
        for row in rows:
            turn = _turn(Role.AGENT if row["interlocutor"] == "therapist" else Role.CUSTOMER, row["utterance_text"])
            if turn is None:
                continue
            if turn.speaker is Role.AGENT:
                labels[len(turns)] = {ANNOMI[b] for b in [row["main_therapist_behaviour"]] if b in ANNOMI}
            turns.append(turn)
        if turns:
            yield Labelled(Call(id=f"annomi-{transcript}", turns=turns), labels,
                           {t: set(ANNOMI.values()) for t in labels})


def read_gold(path: Path, calls_dir: Path) -> Iterator[Labelled]:
    """heard's own hand-labelled sample calls (src/heard/samples/gold): every behaviour on every agent turn."""
    from heard.ingest import read_path

    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    labelled_calls, labels = lines[0]["labelled_calls"], lines[1:]
    behaviours = {"acknowledge_emotion", "mirror_paraphrase", "clarifying_question", "explain_why", "summarise_goal",
                  "next_steps", "reassurance", "confidence_check"}
    calls = {c.id: c for p in sorted(calls_dir.iterdir()) for c in read_path(p) if isinstance(c, Call)}
    for call_id in labelled_calls:
        call = calls[call_id]
        positives: dict[int, set[str]] = defaultdict(set)
        for label in labels:
            if label["call_id"] == call_id:
                positives[label["turn"]].add(label["behaviour"])
        judged = {i: (behaviours | {"robotic_empathy"}) if t.speaker is Role.AGENT else {"empathy_opportunity"}
                  for i, t in enumerate(call.turns)}
        yield Labelled(call, {i: positives.get(i, set()) & judged[i] for i in judged}, judged)


def read_corpus_gold(paths: list[Path]) -> Iterator[Labelled]:
    """heard's labelled call corpus (training/corpus/gold/: the test split's consensus labels).

    Agent turns are judged on the eight behaviours, `question`, `identity_check`, `account_action` and
    `robotic_empathy` (the author's robotic label); customer turns on `empathy_opportunity`.
    """
    from heard.empathy.corpus import BEHAVIOURS, LabelledCall, read_corpus

    for item in read_corpus(paths):
        if not isinstance(item, LabelledCall):
            continue
        labels: dict[int, set[str]] = {}
        judged: dict[int, set[str]] = {}
        for i, turn in enumerate(item.labels):
            if turn.role is Role.AGENT:
                judged[i] = {*BEHAVIOURS, "question", "identity_check", "account_action", "robotic_empathy"}
                labels[i] = (turn.labels & judged[i]) | ({"robotic_empathy"} if turn.robotic else set())
            elif turn.role is Role.CUSTOMER:
                judged[i] = {"empathy_opportunity"}
                labels[i] = {"empathy_opportunity"} if "opportunity" in turn.labels else set()
        yield Labelled(item.call, labels, judged)
