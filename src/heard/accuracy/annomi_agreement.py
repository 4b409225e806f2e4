"""Agreement on AnnoMI's seven 10-annotator transcripts: human-human, and heard against each human.

AnnoMI-full.csv holds transcripts 7, 27, 55, 56, 66, 109 and 130 ten times, once per annotator. For every
therapist utterance each annotator gave a main behaviour (reflection, question, therapist_input, other),
the yes/no flags reflection_exists, question_exists and therapist_input_exists, and for questions an
open/closed subtype. `read_raters` aligns the ten annotators' rows by (transcript_id, utterance_id),
checking that their texts agree; `machine_ratings` makes heard one more rater (the empathy analyser, as
users run it, with the turn model's calibrated thresholds); `agree` measures every code. The mapping from
heard's labels to AnnoMI's codes is in docs/calibration.md.

The agreement statistics live in heard.review.agreement, a layer above this package (docs/architecture.md),
so `agree` takes that module's `measure` as an argument instead of importing it.

AnnoMI is for evaluation only: it is read where it is, never copied, never trained on.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from statistics import mean
from typing import Any, Literal, Protocol, cast

from heard.accuracy.datasets import ACCEPTS
from heard.errors import IngestError
from heard.model import Call, Role, Turn

Level = Literal["nominal", "ordinal"]
Unit = tuple[str, int]                      # (transcript_id, utterance_id)
Ratings = Mapping[str, Mapping[Hashable, Any]]

TRANSCRIPTS = ("7", "27", "55", "56", "66", "109", "130")
# Each code and its level; the subtype is rated only where the annotator marked a question.
CODES: dict[str, Level] = {"main_therapist_behaviour": "nominal", "reflection_exists": "nominal",
                           "question_exists": "nominal", "therapist_input_exists": "nominal",
                           "question_subtype": "nominal"}
MACHINE = "heard"
COLUMNS = ("transcript_id", "utterance_id", "interlocutor", "utterance_text", "annotator_id", *CODES)

# heard's labels that count as each AnnoMI behaviour. Reflection and question are the sets
# `heard accuracy annomi` already scores against (heard.accuracy.datasets.ACCEPTS); therapist input is
# AnnoMI's information / advice / options / negotiation, which heard calls explain_why and next_steps.
REFLECTION = frozenset(ACCEPTS["AnnoMI reflection"])
QUESTION = frozenset(ACCEPTS["AnnoMI question"])
THERAPIST_INPUT = frozenset({"explain_why", "next_steps"})
# In this order, so a tie in confidence (rare: confidences are calibrated probabilities) goes to the first.
BEHAVIOURS = {"question": QUESTION, "reflection": REFLECTION, "therapist_input": THERAPIST_INPUT}


class Measured(Protocol):
    """What `agree` reads from heard.review.agreement.Agreement."""

    @property
    def units(self) -> int: ...
    @property
    def alpha(self) -> float | None: ...
    @property
    def fleiss(self) -> float | None: ...
    @property
    def exact(self) -> float | None: ...
    @property
    def cohen(self) -> Mapping[tuple[str, str], float | None]: ...


Measure = Callable[[Ratings, Level], Measured]


@dataclass
class Raters:
    """The aligned therapist utterances of the multi-annotated transcripts and every rater's answers."""

    transcripts: tuple[str, ...]
    units: list[Unit]
    annotators: list[str]
    codes: dict[str, dict[str, dict[Unit, str]]]    # code -> rater -> unit -> value (absent: not rated)
    calls: dict[str, Call]                          # transcript -> the whole conversation, for the machine
    turn_of: dict[Unit, int]                        # unit -> its turn in calls[transcript]
    unaligned: dict[Unit, str] = field(default_factory=dict)   # therapist utterances left out, and why
    machine: str | None = None                      # the turn model version, once the machine has rated


def _flag(value: str) -> str | None:
    return {"true": "yes", "false": "no"}.get(value.strip().lower())


def _value(code: str, raw: str) -> str | None:
    if code.endswith("_exists"):
        return _flag(raw)
    raw = raw.strip()
    return None if raw in ("", "n/a") else raw


def read_raters(path: Path, transcripts: Iterable[str] = TRANSCRIPTS) -> Raters:
    """The ten annotators' codes for every therapist utterance of `transcripts` in AnnoMI-full.csv.

    An utterance is kept when every annotator of its transcript has it, all as a therapist utterance with
    the same text (whitespace aside); the others are listed in `unaligned` with the reason.
    """
    wanted = tuple(str(t) for t in transcripts)
    rows: dict[Unit, dict[str, dict[str, str]]] = defaultdict(dict)   # unit -> annotator -> row
    annotators: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise IngestError(f"not AnnoMI-full.csv: no column {', '.join(missing)}", path=str(path),
                              hint="Pass AnnoMI-full.csv (AnnoMI-simple.csv has no annotator ids).")
        for number, row in enumerate(reader, start=2):
            if row["transcript_id"] not in wanted:
                continue
            try:
                unit = (row["transcript_id"], int(row["utterance_id"]))
            except ValueError:
                raise IngestError(f"utterance_id {row['utterance_id']!r} is not a number", path=str(path),
                                  line=number) from None
            annotators[unit[0]].add(row["annotator_id"])
            rows[unit][row["annotator_id"]] = row
    absent = [t for t in wanted if t not in annotators]
    if absent:
        raise IngestError(f"transcript(s) {', '.join(absent)} not found", path=str(path),
                          hint=f"The multi-annotated transcripts are {', '.join(TRANSCRIPTS)}.")
    everyone = sorted(set().union(*annotators.values()), key=_number)
    names = {a: f"annotator {a}" for a in everyone}
    codes: dict[str, dict[str, dict[Unit, str]]] = {c: {names[a]: {} for a in everyone} for c in CODES}
    units: list[Unit] = []
    unaligned: dict[Unit, str] = {}
    calls: dict[str, Call] = {}
    turn_of: dict[Unit, int] = {}
    for transcript in wanted:
        mine = sorted(u for u in rows if u[0] == transcript)
        turns: list[Turn] = []
        for unit in mine:
            given = rows[unit]
            roles = {r["interlocutor"] for r in given.values()}
            texts = {" ".join(r["utterance_text"].split()) for r in given.values()}
            if "therapist" not in roles:
                if len(texts) == 1 and next(iter(texts)):
                    turns.append(Turn(speaker=Role.CUSTOMER, text=next(iter(texts))))
                continue
            why = ("not every annotator has it" if set(given) != annotators[transcript]
                   else "a therapist utterance for some annotators, a client one for others" if len(roles) > 1
                   else "the annotators' texts differ" if len(texts) > 1
                   else "no text" if not next(iter(texts)) else None)
            if why is not None:
                unaligned[unit] = why
                continue
            turn_of[unit] = len(turns)
            turns.append(Turn(speaker=Role.AGENT, text=next(iter(texts))))
            units.append(unit)
            for annotator, row in given.items():
                for code in CODES:
                    value = _value(code, row[code])
                    if value is not None:
                        codes[code][names[annotator]][unit] = value
        if turns:
            calls[transcript] = Call(id=f"annomi-{transcript}", turns=turns)
    return Raters(wanted, units, [names[a] for a in everyone], codes, calls, turn_of, unaligned)


def _number(text: str) -> tuple[int, str]:
    return (int(text), text) if text.isdigit() else (1 << 30, text)


def machine_codes(found: Mapping[str, float]) -> dict[str, str]:
    """One therapist utterance's AnnoMI codes from heard's labels on it (label -> confidence).

    The main behaviour is the one heard is most confident of among those it found; none found is "other".
    The subtype is given only where heard found a question: open where it also found `open_question`.
    """
    confidence = {b: max((found[label] for label in labels if label in found), default=None)
                  for b, labels in BEHAVIOURS.items()}
    present = {b: c for b, c in confidence.items() if c is not None}
    main = max(present, key=lambda b: (present[b], -list(BEHAVIOURS).index(b))) if present else "other"
    codes = {"main_therapist_behaviour": main, "reflection_exists": "yes" if "reflection" in present else "no",
             "question_exists": "yes" if "question" in present else "no",
             "therapist_input_exists": "yes" if "therapist_input" in present else "no"}
    if "question" in present:
        codes["question_subtype"] = "open" if "open_question" in found else "closed"
    return codes


def heard_labels(call: Call) -> dict[int, dict[str, float]]:
    """Per turn, the labels heard's empathy analyser finds there and its confidence in each (as users run it)."""
    from heard.pipeline import analyse

    found: dict[int, dict[str, float]] = defaultdict(dict)
    for f in analyse(call, only=["empathy"]).findings:
        if f.kind == "behaviour" or f.kind == "account":
            label = f.label
        elif f.kind == "question":
            label = "open_question" if f.label == "open" else "question"
        else:
            continue
        for e in f.evidence:
            found[e.turn][label] = max(found[e.turn].get(label, 0.0), f.confidence)
    return dict(found)


def machine_ratings(raters: Raters, on_call: Callable[[], None] | None = None) -> Raters:
    """Add heard as one more rater (named MACHINE) of every code, in place; returns `raters`."""
    from heard.empathy.model import load

    for code in CODES:
        raters.codes[code][MACHINE] = {}
    for transcript, call in raters.calls.items():
        labels = heard_labels(call)
        for unit in (u for u in raters.units if u[0] == transcript):
            for code, value in machine_codes(labels.get(raters.turn_of[unit], {})).items():
                raters.codes[code][MACHINE][unit] = value
        if on_call:
            on_call()
    raters.machine = load().version
    return raters


def majority(ratings: Mapping[str, Mapping[Unit, str]]) -> tuple[dict[Unit, str], int]:
    """Per unit, the answer most of these raters gave; units with a tie for the most are left out (and counted)."""
    by_unit: dict[Unit, list[str]] = defaultdict(list)
    for given in ratings.values():
        for unit, value in given.items():
            by_unit[unit].append(value)
    out: dict[Unit, str] = {}
    ties = 0
    for unit, values in by_unit.items():
        ranked = Counter(values).most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            ties += 1
        else:
            out[unit] = ranked[0][0]
    return out, ties


@dataclass(frozen=True)
class Spread:
    """The mean, lowest and highest of several figures (None ones left out)."""

    mean: float | None
    min: float | None
    max: float | None
    n: int

    @classmethod
    def of(cls, values: Iterable[float | None]) -> Spread:
        real = [v for v in values if v is not None]
        return cls(mean(real), min(real), max(real), len(real)) if real else cls(None, None, None, 0)

    def contains(self, value: float | None) -> bool | None:
        if value is None or self.min is None or self.max is None:
            return None
        return self.min <= value <= self.max

    def public(self) -> dict[str, Any]:
        return {"mean": _r(self.mean), "min": _r(self.min), "max": _r(self.max), "n": self.n}


@dataclass(frozen=True)
class Pair:
    """Two raters (or a rater and a majority): Cohen's kappa and exact agreement on the units both rated."""

    units: int
    cohen: float | None
    exact: float | None

    def public(self) -> dict[str, Any]:
        return {"units": self.units, "cohen": _r(self.cohen), "exact": _r(self.exact)}


@dataclass
class CodeAgreement:
    code: str
    level: Level
    units: int                       # units at least two annotators rated
    complete: int                    # units every annotator rated (Fleiss' kappa is over these)
    counts: dict[str, int]           # every annotator's answers, pooled
    alpha: float | None              # the annotators: Krippendorff's alpha
    fleiss: float | None             # ... Fleiss' kappa, on the units all of them rated
    exact: float | None              # ... mean pairwise exact agreement
    human_pairs: dict[tuple[str, str], Pair]
    machine_counts: dict[str, int] = field(default_factory=dict)    # heard's answers
    machine_pairs: dict[str, Pair] = field(default_factory=dict)    # heard against each annotator
    machine_majority: Pair | None = None                             # heard against the annotators' majority
    majority_ties: int = 0                                           # units with no majority, left out
    human_majority: dict[str, Pair] = field(default_factory=dict)    # each annotator against the others' majority

    @property
    def human_cohen(self) -> Spread:
        return Spread.of(p.cohen for p in self.human_pairs.values())

    @property
    def annotator_cohen(self) -> Spread:
        """Per annotator, the mean of its Cohen's kappas with the other annotators: how a rater fares on average."""
        per = {r: Spread.of(p.cohen for pair, p in self.human_pairs.items() if r in pair).mean
               for r in {r for pair in self.human_pairs for r in pair}}
        return Spread.of(per.values())

    @property
    def human_exact(self) -> Spread:
        return Spread.of(p.exact for p in self.human_pairs.values())

    @property
    def machine_cohen(self) -> Spread:
        return Spread.of(p.cohen for p in self.machine_pairs.values())

    @property
    def machine_exact(self) -> Spread:
        return Spread.of(p.exact for p in self.machine_pairs.values())

    @property
    def human_majority_cohen(self) -> Spread:
        return Spread.of(p.cohen for p in self.human_majority.values())

    def public(self) -> dict[str, Any]:
        return {
            "code": self.code, "level": self.level, "units": self.units, "complete_units": self.complete,
            "counts": self.counts,
            "humans": {"alpha": _r(self.alpha), "fleiss": _r(self.fleiss), "exact": _r(self.exact),
                       "cohen": self.human_cohen.public(), "pair_exact": self.human_exact.public(),
                       "annotator_mean_cohen": self.annotator_cohen.public(),
                       "to_others_majority": {r: p.public() for r, p in self.human_majority.items()},
                       "to_others_majority_cohen": self.human_majority_cohen.public()},
            "machine": {"counts": self.machine_counts, "cohen": self.machine_cohen.public(),
                        "exact": self.machine_exact.public(),
                        "per_annotator": {r: p.public() for r, p in self.machine_pairs.items()},
                        "to_majority": self.machine_majority.public() if self.machine_majority else None,
                        "majority_ties": self.majority_ties,
                        "mean_cohen_within_annotators_range": self.annotator_cohen.contains(self.machine_cohen.mean)},
        }


@dataclass
class AgreementReport:
    transcripts: tuple[str, ...]
    utterances: int                   # aligned therapist utterances
    unaligned: dict[Unit, str]
    annotators: list[str]
    machine: str | None               # the turn model version, when heard rated
    codes: dict[str, CodeAgreement]

    def public(self) -> dict[str, Any]:
        return {"dataset": "AnnoMI-full.csv", "transcripts": list(self.transcripts),
                "therapist_utterances": self.utterances,
                "unaligned": [{"transcript_id": t, "utterance_id": u, "why": why}
                              for (t, u), why in sorted(self.unaligned.items())],
                "annotators": self.annotators, "machine": self.machine and f"{MACHINE} (turn model {self.machine})",
                "codes": {c: a.public() for c, a in self.codes.items()}}


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _ratings(given: Mapping[str, Mapping[Unit, str]]) -> Ratings:
    # Mapping's key type is invariant, so (transcript, utterance) keys are not Hashable ones to mypy.
    return cast(Ratings, given)


def _pair(measure: Measure, a: Mapping[Unit, str], b: Mapping[Unit, str], level: Level) -> Pair:
    m = measure(_ratings({"a": a, "b": b}), level)
    return Pair(m.units, m.cohen.get(("a", "b")), m.exact)


def agree(raters: Raters, measure: Measure) -> AgreementReport:
    """Every code's human-human agreement and, if heard has rated (`machine_ratings`), heard's with the humans.

    `measure` is heard.review.agreement.measure.
    """
    codes: dict[str, CodeAgreement] = {}
    for code, level in CODES.items():
        given = raters.codes[code]
        humans = {r: given[r] for r in raters.annotators}
        together = measure(_ratings(humans), level)
        counts = Counter(v for r in raters.annotators for v in given[r].values())
        pairs = {(a, b): _pair(measure, humans[a], humans[b], level)
                 for i, a in enumerate(raters.annotators) for b in raters.annotators[i + 1:]}
        complete = sum(all(u in humans[r] for r in raters.annotators) for u in raters.units)
        result = CodeAgreement(code, level, together.units, complete, dict(sorted(counts.items())), together.alpha,
                               together.fleiss, together.exact, pairs)
        for r in raters.annotators:
            others, _ = majority({o: humans[o] for o in raters.annotators if o != r})
            result.human_majority[r] = _pair(measure, humans[r], others, level)
        if MACHINE in given:
            heard = given[MACHINE]
            result.machine_counts = dict(sorted(Counter(heard.values()).items()))
            result.machine_pairs = {r: _pair(measure, heard, humans[r], level) for r in raters.annotators}
            everyone, result.majority_ties = majority(humans)
            result.machine_majority = _pair(measure, heard, everyone, level)
        codes[code] = result
    return AgreementReport(raters.transcripts, len(raters.units), raters.unaligned, raters.annotators,
                           raters.machine, codes)


__all__ = ["CODES", "MACHINE", "TRANSCRIPTS", "AgreementReport", "CodeAgreement", "Pair", "Raters", "Spread",
           "agree", "heard_labels", "machine_codes", "machine_ratings", "majority", "read_raters"]
