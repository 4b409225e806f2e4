"""Does heard's customer sentiment track satisfaction? Measured on USS's human satisfaction ratings.

USS (Sun et al., SIGIR 2021; GitHub sunnweiwei/user-satisfaction-simulation) re-annotated dialogues of
four corpora (MWOZ, SGD, ReDial, CCPE): every user turn has 3 to 7 ratings of how satisfied the user is
at that point (1-5, one per annotator), every dialogue an OVERALL rating. `read_uss` reads the files;
`measure` treats USER as the customer and SYSTEM as the agent, runs heard on each dialogue as users run
it, and correlates heard's customer sentiment with the mean human rating:

- per user turn: the sentiment analyser's `turn_sentiment`; the `customer_sentiment` live assist shows
  after that turn (the mean of the customer's last five turns, heard.live.engine); and the analyser's
  `sentiment_quarter` value of the quarter the turn is in (the batch trajectory);
- per dialogue, against the OVERALL rating: the customer's last quarter (`sentiment_quarter` Q4),
  `sentiment_overall`, `sentiment_recovery`, `sentiment_slope` and live assist's value at the end.

Turns of one dialogue are not independent, so every 95% interval is a percentile bootstrap that resamples
whole dialogues (scipy.stats.bootstrap over dialogue indices, seeded). Next to heard, the same figures for
one human rater against the mean of the others show how far people agree (the ceiling; heard is also set
against those same targets), and the turn's position in the dialogue is a baseline.

USS is for evaluation only: read where it is, never copied, never trained on.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
from scipy import stats  # type: ignore[import-untyped]

from heard.errors import IngestError
from heard.model import Call, CallAnalysis, Channel, Metric, Role, Turn

if TYPE_CHECKING:
    from heard.empathy.lexicon import Lexicon

CORPORA = ("MWOZ", "SGD", "ReDial", "CCPE")
DEFAULT_ROOT = Path("..", "shared", "data", "uss-user-satisfaction")   # from a heard checkout
ALL = "all"
RESAMPLES = 2000
SEED = 20211
CONFIDENCE = 0.95
WHERE = ("Put USS's MWOZ.txt, SGD.txt, ReDial.txt and CCPE.txt there (GitHub sunnweiwei/user-satisfaction-"
         "simulation, folder dataset/), or point to the folder that holds them "
         "(`heard accuracy uss --data PATH`).")
FORMAT = "Each line is ROLE <tab> TEXT <tab> ACTION <tab> RATINGS; dialogues end with USER <tab> OVERALL."

Floats = npt.NDArray[np.float64]


@dataclass(frozen=True)
class UssTurn:
    """One line of a dialogue: who spoke (USER or SYSTEM), what, and on USER turns every annotator's rating."""

    role: Literal["USER", "SYSTEM"]
    text: str
    action: str
    ratings: tuple[int, ...]
    line: int

    @property
    def speaker(self) -> Role:
        return Role.CUSTOMER if self.role == "USER" else Role.AGENT

    @property
    def mean(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None


@dataclass(frozen=True)
class Dialogue:
    """One USS dialogue: its turns and the OVERALL ratings (one per annotator)."""

    corpus: str
    number: int          # 1-based, in file order
    line: int            # its first line
    turns: tuple[UssTurn, ...]
    overall: tuple[int, ...]

    @property
    def id(self) -> str:
        return f"uss-{self.corpus.lower()}-{self.number}"

    def call(self) -> tuple[Call, dict[int, int]]:
        """The dialogue as a heard chat Call (USER the customer, SYSTEM the agent), and turn -> call turn.

        A turn without text (ReDial has a few) cannot be a heard turn and is left out of the call.
        """
        turns: list[Turn] = []
        where: dict[int, int] = {}
        for k, turn in enumerate(self.turns):
            text = " ".join(turn.text.split())
            if text:
                where[k] = len(turns)
                turns.append(Turn(speaker=turn.speaker, text=text))
        return Call(id=self.id, channel=Channel.CHAT, turns=turns, source_format="uss"), where


def _ratings(raw: str, path: Path, number: int) -> tuple[int, ...]:
    values = [v.strip() for v in raw.split(",")]
    if not all(v.isdigit() and 1 <= int(v) <= 5 for v in values):
        raise IngestError(f"ratings {raw!r} are not whole numbers from 1 to 5, separated by commas", path=str(path),
                          line=number, hint=FORMAT)
    return tuple(int(v) for v in values)


def read_file(path: Path, corpus: str | None = None) -> Iterator[Dialogue]:
    """The dialogues of one USS file, in order; a malformed line raises IngestError naming the file and line."""
    corpus = corpus or path.stem
    turns: list[UssTurn] = []
    first = 0
    count = 0
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise IngestError(f"cannot read it: {exc.strerror or exc}", path=str(path), hint=WHERE) from None
    except UnicodeDecodeError as exc:
        raise IngestError(f"not UTF-8 text (byte {exc.start})", path=str(path),
                          hint="USS's files are UTF-8; pass them unchanged.") from None
    # Only "\n" ends a line: read_text would also end one at a lone "\r", str.splitlines at Unicode line breaks.
    for number, raw in enumerate(text.removesuffix("\n").split("\n"), start=1):
        raw = raw.removesuffix("\r")
        if not raw.strip():
            if turns:
                raise IngestError(f"the dialogue that starts on line {first} has no OVERALL line", path=str(path),
                                  line=number, hint=FORMAT)
            continue
        fields = raw.split("\t")
        if len(fields) != 4:
            raise IngestError(f"{len(fields)} tab-separated fields, expected 4", path=str(path), line=number,
                              hint=FORMAT)
        role, words, action, rated = fields
        if role not in ("USER", "SYSTEM"):
            raise IngestError(f"role {role!r} is neither USER nor SYSTEM", path=str(path), line=number, hint=FORMAT)
        if not turns:
            first = number
        if words == "OVERALL" and role == "USER":
            if not rated.strip():
                raise IngestError("the OVERALL line has no ratings", path=str(path), line=number, hint=FORMAT)
            if not turns:
                raise IngestError("an OVERALL line with no dialogue before it", path=str(path), line=number,
                                  hint=FORMAT)
            count += 1
            yield Dialogue(corpus, count, first, tuple(turns), _ratings(rated, path, number))
            turns = []
            continue
        if role == "USER" and not rated.strip():
            raise IngestError("a USER turn without ratings", path=str(path), line=number, hint=FORMAT)
        if role == "SYSTEM" and rated.strip():
            raise IngestError(f"a SYSTEM turn with ratings ({rated!r}); only USER turns are rated", path=str(path),
                              line=number, hint=FORMAT)
        turns.append(UssTurn("USER" if role == "USER" else "SYSTEM", words, action,
                             _ratings(rated, path, number) if role == "USER" else (), number))
    if turns:
        raise IngestError(f"the file ends inside the dialogue that starts on line {first}, before its OVERALL line",
                          path=str(path), hint=FORMAT)


def read_uss(root: Path, *, corpora: Sequence[str] = CORPORA, limit: int | None = None) -> dict[str, list[Dialogue]]:
    """Corpus -> its dialogues (the first `limit` of each file when given) from the folder holding the USS files."""
    if not root.is_dir():
        raise IngestError("no USS folder here", path=str(root), hint=WHERE)
    missing = [f"{c}.txt" for c in corpora if not (root / f"{c}.txt").is_file()]
    if missing:
        raise IngestError(f"{', '.join(missing)} not found in this folder", path=str(root), hint=WHERE)
    out: dict[str, list[Dialogue]] = {}
    for corpus in corpora:
        dialogues: list[Dialogue] = []
        for dialogue in read_file(root / f"{corpus}.txt", corpus):
            if limit is not None and len(dialogues) >= limit:
                break
            dialogues.append(dialogue)
        out[corpus] = dialogues
    return out


# --- what is correlated with what ------------------------------------------------------------------------

@dataclass(frozen=True)
class Measure:
    key: str
    level: Literal["turn", "dialogue"]
    what: str                                            # the x side, in words
    kind: Literal["heard", "human", "baseline"] = "heard"
    target: str = "mean"   # "mean": of every rating; "others": of all but one rater, once per rater


# The target is the mean human rating of the user turn (turn level) or of OVERALL (dialogue level).
MEASURES = (
    Measure("turn_sentiment", "turn", "heard's sentiment of the user turn (turn_sentiment)"),
    Measure("turn_sentiment_not_last", "turn", "the same, leaving out each dialogue's last user turn"),
    Measure("live_running", "turn", "live assist's customer_sentiment after the turn (mean of the last 5)"),
    Measure("quarter", "turn", "heard's customer sentiment_quarter value of the quarter holding the turn"),
    Measure("turn_sentiment_vs_others", "turn", "heard's turn_sentiment against the mean of all raters but one",
            target="others"),
    Measure("rater_vs_others", "turn", "one rater against the mean of the other raters", "human", "others"),
    Measure("position", "turn", "where the turn is in the dialogue (0 first user turn, 1 last)", "baseline"),
    Measure("end", "dialogue", "heard's customer sentiment at the end (sentiment_quarter Q4)"),
    Measure("overall", "dialogue", "heard's customer sentiment_overall"),
    Measure("recovery", "dialogue", "heard's customer sentiment_recovery (last turns minus first)"),
    Measure("slope", "dialogue", "heard's customer sentiment_slope (per turn)"),
    Measure("live_end", "dialogue", "live assist's customer_sentiment at the end"),
    Measure("end_vs_others", "dialogue", "heard's sentiment at the end against the mean OVERALL of all raters but "
            "one", target="others"),
    Measure("rater_vs_others_overall", "dialogue", "one rater's OVERALL against the mean of the others'", "human",
            "others"),
    Measure("human_turn_mean", "dialogue", "the mean of the human turn ratings", "human"),
    Measure("human_last_turn", "dialogue", "the mean human rating of the last rated user turn", "human"),
)


@dataclass
class Scored:
    """One dialogue's (x, y) pairs for every measure: several per dialogue at turn level, one or none above."""

    pairs: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    user_turns: int = 0        # user turns heard scored
    left_out: int = 0          # user turns without text


def _metric(analysis: CallAnalysis, name: str, party: Role, label: str | None = None) -> Metric | None:
    for m in analysis.metrics:
        if m.name == name and m.party is party and (label is None or m.label == label):
            return m
    return None


def score_dialogue(dialogue: Dialogue, lexicon: Lexicon | None = None) -> Scored:
    """heard's customer sentiment for one dialogue beside the human ratings, as users run heard.

    `lexicon` is the empathy lexicon live assist reads (heard.empathy.lexicon.load(), loaded per call if not given).
    """
    from heard.live.engine import LiveCall, Utterance
    from heard.pipeline import analyse

    call, where = dialogue.call()
    analysis = analyse(call, only=["sentiment"])
    turn_score = {t.turn: t.value for t in analysis.per_turn("turn_sentiment", Role.CUSTOMER) if t.value is not None}
    quarter_of = {i: float(m.value) for m in analysis.metrics
                  if m.name == "sentiment_quarter" and m.party is Role.CUSTOMER and m.value is not None
                  for i in m.turns}
    live = LiveCall(call.id, lexicon=lexicon) if lexicon is not None else LiveCall(call.id)
    running: dict[int, float] = {}
    for i, said in enumerate(call.turns):
        speaker: Literal["agent", "customer"] = "customer" if said.speaker is Role.CUSTOMER else "agent"
        state = live.handle(Utterance(speaker=speaker, text=said.text))[-1]
        if said.speaker is Role.CUSTOMER:
            running[i] = float(state["customer_sentiment"])

    scored = Scored(pairs={m.key: [] for m in MEASURES})
    pairs = scored.pairs
    rated = [(k, t) for k, t in enumerate(dialogue.turns) if t.role == "USER"]
    scored.left_out = sum(k not in where for k, _ in rated)
    kept = [(where[k], t) for k, t in rated if k in where]
    scored.user_turns = len(kept)
    for j, (i, turn) in enumerate(kept):
        mean = turn.mean
        assert mean is not None   # every USER turn has ratings (read_file checks)
        pairs["turn_sentiment"].append((turn_score[i], mean))
        if j < len(kept) - 1:
            pairs["turn_sentiment_not_last"].append((turn_score[i], mean))
        pairs["live_running"].append((running[i], mean))
        if i in quarter_of:
            pairs["quarter"].append((quarter_of[i], mean))
        others = _one_against_others(turn.ratings)
        pairs["rater_vs_others"] += others
        pairs["turn_sentiment_vs_others"] += [(turn_score[i], y) for _, y in others]
        pairs["position"].append((j / (len(kept) - 1) if len(kept) > 1 else 0.0, mean))

    target = sum(dialogue.overall) / len(dialogue.overall)
    others = _one_against_others(dialogue.overall)
    if kept:
        for key, name, label in (("end", "sentiment_quarter", "Q4"), ("overall", "sentiment_overall", None),
                                 ("recovery", "sentiment_recovery", None), ("slope", "sentiment_slope", None)):
            metric = _metric(analysis, name, Role.CUSTOMER, label)
            if metric is not None and metric.value is not None:
                pairs[key].append((float(metric.value), target))
                if key == "end":
                    pairs["end_vs_others"] += [(float(metric.value), y) for _, y in others]
        pairs["live_end"].append((float(live.snapshot()["customer_sentiment"]), target))
    pairs["rater_vs_others_overall"] += others
    means = [t.mean for _, t in rated if t.mean is not None]
    if means:
        pairs["human_turn_mean"].append((sum(means) / len(means), target))
        pairs["human_last_turn"].append((means[-1], target))
    return scored


def _one_against_others(ratings: Sequence[int]) -> list[tuple[float, float]]:
    """Every rater's rating beside the mean of the other raters' (nothing with fewer than two raters)."""
    if len(ratings) < 2:
        return []
    total = sum(ratings)
    return [(float(r), (total - r) / (len(ratings) - 1)) for r in ratings]


# --- correlations with intervals from resampling whole dialogues ---------------------------------------

@dataclass
class _Clustered:
    """One measure's pairs for a list of dialogues, flattened, with each dialogue's slice."""

    x: Floats
    y: Floats
    starts: npt.NDArray[np.int64]
    lengths: npt.NDArray[np.int64]

    @classmethod
    def of(cls, per_dialogue: Sequence[Sequence[tuple[float, float]]]) -> _Clustered:
        lengths = np.array([len(p) for p in per_dialogue], dtype=np.int64)
        flat = [xy for p in per_dialogue for xy in p]
        x = np.array([a for a, _ in flat], dtype=np.float64)
        y = np.array([b for _, b in flat], dtype=np.float64)
        return cls(x, y, np.cumsum(lengths) - lengths, lengths)

    def take(self, dialogues: npt.NDArray[np.int64]) -> tuple[Floats, Floats]:
        """The pairs of these dialogues (repeats included), in one pair of arrays."""
        lengths = self.lengths[dialogues]
        before = np.cumsum(lengths) - lengths
        index = np.repeat(self.starts[dialogues] - before, lengths) + np.arange(int(lengths.sum()))
        return self.x[index], self.y[index]


def correlations(x: Floats, y: Floats) -> tuple[float, float]:
    """(Spearman rho, Pearson r); NaN when undefined (fewer than three pairs, or one side constant).

    Spearman's rho is Pearson's r of the mid-ranks, as scipy.stats.spearmanr computes it; ranking both sides
    in one call and correlating all four rows at once costs a quarter of spearmanr plus pearsonr on the
    small resamples the bootstrap makes thousands of (tests check the figures are scipy's).
    """
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return math.nan, math.nan
    both = np.vstack([x, y])
    matrix = np.corrcoef(np.vstack([both, stats.rankdata(both, axis=1)]))
    return float(matrix[2, 3]), float(matrix[0, 1])


def _interval_figures(data: dict[str, _Clustered], dialogues: int, resamples: int,
                      seed: int) -> dict[str, dict[str, Any]]:
    """Each measure's Spearman and Pearson with 95% percentile intervals, all from the same dialogue resamples."""
    keys = list(data)

    def statistic(chosen: npt.NDArray[np.int64]) -> Floats:
        values: list[float] = []
        for key in keys:
            values += correlations(*data[key].take(chosen))
        return np.array(values)

    estimates = statistic(np.arange(dialogues))
    low = high = np.full(len(estimates), math.nan)
    if dialogues >= 2:
        with warnings.catch_warnings():
            # A tiny sample can resample into a constant side; that measure's interval is then left out (None).
            warnings.simplefilter("ignore", category=stats.DegenerateDataWarning)
            warnings.simplefilter("ignore", category=RuntimeWarning)
            result = stats.bootstrap((np.arange(dialogues),), statistic, vectorized=False, n_resamples=resamples,
                                     confidence_level=CONFIDENCE, method="percentile",
                                     rng=np.random.default_rng(seed))
        low, high = result.confidence_interval.low, result.confidence_interval.high
    out: dict[str, dict[str, Any]] = {}
    for n, key in enumerate(keys):
        clustered = data[key]
        figures: dict[str, Any] = {"pairs": len(clustered.x), "dialogues": int((clustered.lengths > 0).sum())}
        for j, name in enumerate(("spearman", "pearson")):
            at = 2 * n + j
            figures[name] = {"estimate": _r(estimates[at]), "low": _r(low[at]), "high": _r(high[at])}
        out[key] = figures
    return out


def _r(value: float) -> float | None:
    return None if not math.isfinite(value) else round(float(value), 4)


def summarise(scored: Sequence[Scored], *, resamples: int = RESAMPLES, seed: int = SEED) -> dict[str, Any]:
    """Every measure's correlations over these dialogues, with intervals, and how many dialogues and turns."""
    data = {m.key: _Clustered.of([s.pairs[m.key] for s in scored]) for m in MEASURES}
    figures = _interval_figures(data, len(scored), resamples, seed)
    return {"dialogues": len(scored), "user_turns": sum(s.user_turns for s in scored),
            "user_turns_without_text": sum(s.left_out for s in scored),
            "turn": {m.key: figures[m.key] for m in MEASURES if m.level == "turn"},
            "dialogue": {m.key: figures[m.key] for m in MEASURES if m.level == "dialogue"}}


def measure_dialogues(corpora: Mapping[str, Sequence[Dialogue]], *, resamples: int = RESAMPLES, seed: int = SEED,
                      on_step: Callable[[], None] | None = None) -> dict[str, Any]:
    """heard's customer sentiment against the human ratings, per corpus and over all of them (`ALL`).

    `on_step` is called after each dialogue is scored and after each group's intervals (a progress bar).
    """
    from heard.empathy.lexicon import load

    lexicon = load()   # one for every live call: the same lexicon LiveCall would load for each
    scored: dict[str, list[Scored]] = {}
    for corpus, dialogues in corpora.items():
        scored[corpus] = []
        for dialogue in dialogues:
            scored[corpus].append(score_dialogue(dialogue, lexicon))
            if on_step:
                on_step()
    together = {**scored, ALL: [s for group in scored.values() for s in group]} if len(scored) > 1 else scored
    groups: dict[str, Any] = {}
    for name, group in together.items():
        groups[name] = summarise(group, resamples=resamples, seed=seed)
        if on_step:
            on_step()
    report: dict[str, Any] = {
        "dataset": "USS (Sun et al., SIGIR 2021)", "corpora": groups,
        "measures": {m.key: {"level": m.level, "what": m.what, "kind": m.kind, "target": m.target}
                     for m in MEASURES},
        "target": {"turn": "the mean of the user turn's human ratings (1-5)",
                   "dialogue": "the mean of the dialogue's OVERALL ratings (1-5)"},
        "interval": f"{CONFIDENCE:.0%} percentile bootstrap over whole dialogues, {resamples} resamples, seed {seed}",
        "resamples": resamples, "seed": seed}
    report["sentences"] = sentences(report)
    return report


def steps(corpora: Mapping[str, Sequence[Dialogue]]) -> int:
    """How many times measure_dialogues calls `on_step` for these corpora."""
    return sum(len(d) for d in corpora.values()) + len(corpora) + (len(corpora) > 1)


def measure(root: Path, *, limit: int | None = None, resamples: int = RESAMPLES, seed: int = SEED,
            corpora: Sequence[str] = CORPORA) -> dict[str, Any]:
    """Read USS from `root` (the first `limit` dialogues of each file when given) and measure it."""
    return measure_dialogues(read_uss(root, corpora=corpora, limit=limit), resamples=resamples, seed=seed)


# --- in words --------------------------------------------------------------------------------------------

def _rho(figures: Mapping[str, Any], name: str = "spearman") -> str:
    f = figures[name]
    symbol = "rho" if name == "spearman" else "r"
    if f["estimate"] is None:
        return f"no {name.capitalize()} {symbol} (undefined: too few pairs or no variation)"
    interval = "" if f["low"] is None else f" (95% CI {f['low']:.2f} to {f['high']:.2f})"
    return f"{name.capitalize()} {symbol} {f['estimate']:.2f}{interval}"


def sentences(report: Mapping[str, Any]) -> list[str]:
    """The headline figures of each corpus (and of all together) as plain sentences."""
    out: list[str] = []
    for corpus, g in report["corpora"].items():
        name = "All corpora together" if corpus == ALL else corpus
        t, d = g["turn"], g["dialogue"]
        out.append(f"{name}: heard's customer sentiment tracked the mean human satisfaction rating with "
                   f"{_rho(t['turn_sentiment'])} over {t['turn_sentiment']['pairs']} user turns in "
                   f"{t['turn_sentiment']['dialogues']} dialogues (live assist's running value: "
                   f"{_rho(t['live_running'])}). Against the mean of all raters but one, heard had "
                   f"{_rho(t['turn_sentiment_vs_others'])} and one rater {_rho(t['rater_vs_others'])}.")
        out.append(f"{name}: heard's customer sentiment at the end tracked the dialogue's OVERALL rating with "
                   f"{_rho(d['end'])} over {d['end']['dialogues']} dialogues (sentiment_overall "
                   f"{_rho(d['overall'])}; recovery {_rho(d['recovery'])}). Against the mean OVERALL of all raters "
                   f"but one, heard had {_rho(d['end_vs_others'])} and one rater "
                   f"{_rho(d['rater_vs_others_overall'])}.")
    return out


__all__ = ["ALL", "CORPORA", "DEFAULT_ROOT", "MEASURES", "Dialogue", "Measure", "Scored", "UssTurn", "correlations",
           "measure", "measure_dialogues", "read_file", "read_uss", "score_dialogue", "sentences", "steps",
           "summarise"]
