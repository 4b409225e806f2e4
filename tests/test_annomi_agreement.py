"""Agreement on AnnoMI's ten-annotator transcripts, checked against statistics written out here.

heard's figures (heard.review.agreement.measure, through heard.accuracy.annomi_agreement) are compared
with Krippendorff's alpha from the coincidence matrix, Fleiss' kappa from its formula and sklearn's
Cohen's kappa: on small hand-made rating sets that always run, and on the real AnnoMI ratings when
../shared/data/annomi is there (evaluation only: it is read in place, never copied).
"""

from __future__ import annotations

import csv
import json
import math
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping
from itertools import combinations, permutations
from pathlib import Path
from typing import Any

import pytest
from sklearn.metrics import cohen_kappa_score
from typer.testing import CliRunner

from heard.accuracy.annomi_agreement import (
    CODES,
    MACHINE,
    TRANSCRIPTS,
    AgreementReport,
    Raters,
    agree,
    machine_codes,
    machine_ratings,
    majority,
    read_raters,
)
from heard.cli import app
from heard.review.agreement import measure

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
ANNOMI = SHARED / "annomi" / "AnnoMI-full.csv"
needs_annomi = pytest.mark.skipif(not ANNOMI.exists(), reason="AnnoMI is not in ../shared/data")
TOLERANCE = 1e-9

Table = Mapping[str, Mapping[Hashable, Any]]   # rater -> unit -> value


# --- the independent statistics --------------------------------------------------------------------------

def alpha_nominal(ratings: Table) -> float:
    """Krippendorff's alpha, nominal, from the coincidence matrix (units with fewer than two values drop out)."""
    by_unit: dict[Hashable, list[Any]] = defaultdict(list)
    for given in ratings.values():
        for unit, value in given.items():
            by_unit[unit].append(value)
    coincidence: dict[tuple[Any, Any], float] = defaultdict(float)
    for values in by_unit.values():
        m = len(values)
        if m < 2:
            continue
        for i, j in permutations(range(m), 2):        # every ordered pair of values from different raters
            coincidence[(values[i], values[j])] += 1 / (m - 1)
    totals: dict[Any, float] = defaultdict(float)
    for (c, _), o in coincidence.items():
        totals[c] += o
    n = sum(totals.values())
    observed = sum(o for (c, k), o in coincidence.items() if c != k)
    expected = sum(totals[c] * totals[k] for c in totals for k in totals if c != k)
    return 1 - (n - 1) * observed / expected


def fleiss_formula(ratings: Table) -> float:
    """Fleiss' kappa over the units every rater rated: (P - Pe) / (1 - Pe)."""
    raters = list(ratings)
    units = [u for u in {u for g in ratings.values() for u in g} if all(u in ratings[r] for r in raters)]
    n = len(raters)
    counts = [Counter(ratings[r][u] for r in raters) for u in units]
    agreement = sum((sum(c * c for c in row.values()) - n) / (n * (n - 1)) for row in counts) / len(units)
    share = Counter[Any]()
    for row in counts:
        share.update(row)
    chance = sum((c / (len(units) * n)) ** 2 for c in share.values())
    return (agreement - chance) / (1 - chance)


def exact_pairs(ratings: Table) -> float:
    same = [ratings[a][u] == ratings[b][u] for a, b in combinations(sorted(ratings), 2)
            for u in ratings[a] if u in ratings[b]]
    return sum(same) / len(same)


def check_against_independent(ratings: Table) -> None:
    """heard's measure() against the statistics above, within TOLERANCE."""
    got = measure(ratings, "nominal")
    assert got.alpha is not None and abs(got.alpha - alpha_nominal(ratings)) < TOLERANCE
    assert got.fleiss is not None and abs(got.fleiss - fleiss_formula(ratings)) < TOLERANCE
    assert got.exact is not None and abs(got.exact - exact_pairs(ratings)) < TOLERANCE
    for (a, b), kappa in got.cohen.items():
        both = [u for u in ratings[a] if u in ratings[b]]
        x, y = [ratings[a][u] for u in both], [ratings[b][u] for u in both]
        if len(set(x) | set(y)) < 2:
            assert kappa is None           # one category only: heard gives no kappa rather than a made-up one
        else:
            assert kappa is not None and abs(kappa - cohen_kappa_score(x, y)) < TOLERANCE


# --- hand-made rating sets (always run) --------------------------------------------------------------------

def _table(rows: dict[str, str]) -> dict[str, dict[int, str]]:
    """One string per rater, one character per unit, "." for not rated."""
    return {r: {u: v for u, v in enumerate(row) if v != "."} for r, row in rows.items()}


# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the nominal example: alpha = 0.743.
KRIPPENDORFF_2011 = _table({"A": "123321412...", "B": "1233224125.3", "C": ".3332342251.", "D": "12332441251."})
HAND_MADE = {
    "three raters, four categories": _table({"a": "qrqtoqrrto", "b": "qrqtorrrqo", "c": "qroooqrrto"}),
    "yes/no, one rater disagrees often": _table({"a": "yynnyynnyy", "b": "yynnnynnyy", "c": "nynynynnyn"}),
    "some units not rated": _table({"a": "oqr.rqqo", "b": "oqrrr.qo", "c": ".qrrrqto", "d": "oq.rrqqt"}),
    "Krippendorff 2011": KRIPPENDORFF_2011,
}


@pytest.mark.parametrize("ratings", HAND_MADE.values(), ids=list(HAND_MADE))
def test_annomi_agreement_measure_matches_independent_statistics(ratings: dict[str, dict[int, str]]) -> None:
    check_against_independent(ratings)


@pytest.mark.parametrize("expected", [0.743])
def test_annomi_agreement_alpha_matches_krippendorffs_worked_example(expected: float) -> None:
    assert round(alpha_nominal(KRIPPENDORFF_2011), 3) == expected
    alpha = measure(KRIPPENDORFF_2011, "nominal").alpha
    assert alpha is not None and round(alpha, 3) == expected


@pytest.mark.parametrize("expected", [0.210])
def test_annomi_agreement_fleiss_matches_the_textbook_example(expected: float) -> None:
    # Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories, kappa = 0.210.
    counts = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
              [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]
    ratings: dict[str, dict[int, str]] = {f"r{k}": {} for k in range(14)}
    for unit, row in enumerate(counts):
        values = [str(c) for c, n in enumerate(row) for _ in range(n)]
        for k, value in enumerate(values):
            ratings[f"r{k}"][unit] = value
    assert round(fleiss_formula(ratings), 3) == expected
    fleiss = measure(ratings, "nominal").fleiss
    assert fleiss is not None and abs(fleiss - fleiss_formula(ratings)) < TOLERANCE


@pytest.mark.parametrize(("found", "codes"), [
    ({}, {"main_therapist_behaviour": "other", "reflection_exists": "no", "question_exists": "no",
          "therapist_input_exists": "no"}),
    ({"question": 0.9, "open_question": 0.7}, {"main_therapist_behaviour": "question", "reflection_exists": "no",
                                               "question_exists": "yes", "therapist_input_exists": "no",
                                               "question_subtype": "open"}),
    ({"clarifying_question": 0.8}, {"main_therapist_behaviour": "question", "reflection_exists": "no",
                                    "question_exists": "yes", "therapist_input_exists": "no",
                                    "question_subtype": "closed"}),
    ({"mirror_paraphrase": 0.6, "next_steps": 0.8}, {"main_therapist_behaviour": "therapist_input",
                                                     "reflection_exists": "yes", "question_exists": "no",
                                                     "therapist_input_exists": "yes"}),
    ({"acknowledge_emotion": 0.7, "reassurance": 0.9}, {"main_therapist_behaviour": "reflection",
                                                        "reflection_exists": "yes", "question_exists": "no",
                                                        "therapist_input_exists": "no"}),
])
def test_annomi_agreement_machine_codes_follow_the_mapping(found: dict[str, float], codes: dict[str, str]) -> None:
    assert machine_codes(found) == codes


@pytest.mark.parametrize(("ratings", "expected", "ties"), [
    ({"a": {("7", 1): "yes", ("7", 2): "no"}, "b": {("7", 1): "yes", ("7", 2): "yes"},
      "c": {("7", 1): "no"}}, {("7", 1): "yes"}, 1),
])
def test_annomi_agreement_majority_leaves_ties_out(ratings: dict[str, dict[tuple[str, int], str]],
                                                   expected: dict[tuple[str, int], str], ties: int) -> None:
    assert majority(ratings) == (expected, ties)


HEADER = ("transcript_id,utterance_id,interlocutor,utterance_text,annotator_id,main_therapist_behaviour,"
          "reflection_exists,question_exists,therapist_input_exists,question_subtype\n")


def _tiny_full_csv(path: Path) -> Path:
    rows = []
    for annotator, (main, subtype) in enumerate([("question", "open"), ("question", "closed"), ("other", "n/a")]):
        asked = "True" if main == "question" else "False"
        rows += [f'7,0,therapist,"How has your week been?",{annotator},{main},False,{asked},False,{subtype}',
                 f'7,1,client,"I drink too much, I think.",{annotator},n/a,n/a,n/a,n/a,n/a',
                 # annotator 2's copy of utterance 2 has other words: it cannot be aligned
                 f'7,2,therapist,"{"You are worried." if annotator < 2 else "You are upset."}",{annotator},'
                 f"reflection,True,False,False,n/a",
                 f'8,0,therapist,"Not a multi-annotated transcript.",{annotator},other,False,False,False,n/a']
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_annomi_agreement_aligns_utterances_and_reports_the_rest(tmp_path: Path) -> None:
    raters = read_raters(_tiny_full_csv(tmp_path / "AnnoMI-full.csv"), ["7"])
    assert raters.units == [("7", 0)]
    assert raters.unaligned == {("7", 2): "the annotators' texts differ"}
    assert raters.annotators == ["annotator 0", "annotator 1", "annotator 2"]
    assert raters.codes["question_subtype"] == {"annotator 0": {("7", 0): "open"},
                                                "annotator 1": {("7", 0): "closed"}, "annotator 2": {}}
    assert raters.codes["question_exists"]["annotator 2"] == {("7", 0): "no"}
    assert [t.text for t in raters.calls["7"].turns] == ["How has your week been?", "I drink too much, I think."]


def test_annomi_agreement_cli_names_the_missing_transcripts(tmp_path: Path) -> None:
    path = _tiny_full_csv(tmp_path / "AnnoMI-full.csv")
    result = CliRunner().invoke(app, ["accuracy", "annomi-agreement", str(path), "--no-machine"])
    assert result.exit_code == 2 and "transcript(s) 27, 55" in result.output   # only 7 is in the tiny file


# --- the real AnnoMI ratings (when present) ----------------------------------------------------------------

def independent_ratings(path: Path) -> dict[str, dict[str, dict[tuple[str, int], str]]]:
    """code -> annotator -> (transcript, utterance) -> value, read here without heard's reader."""
    out: dict[str, dict[str, dict[tuple[str, int], str]]] = {c: defaultdict(dict) for c in CODES}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["transcript_id"] in TRANSCRIPTS and row["interlocutor"] == "therapist":
                unit = (row["transcript_id"], int(row["utterance_id"]))
                for code in CODES:
                    value = {"True": "yes", "False": "no"}.get(row[code], row[code])
                    if value != "n/a":
                        out[code][f"annotator {row['annotator_id']}"][unit] = value
    return {c: dict(v) for c, v in out.items()}


@pytest.fixture(scope="module")
def annomi() -> tuple[Raters, AgreementReport]:
    """The seven transcripts with heard as an eleventh rater (the turn model takes about 10 s on them)."""
    raters = machine_ratings(read_raters(ANNOMI))
    return raters, agree(raters, measure)


@needs_annomi
def test_annomi_agreement_reads_every_annotators_codes() -> None:
    raters = read_raters(ANNOMI)
    assert raters.unaligned == {}
    assert len(raters.units) == 216                # the README: 216 therapist utterances, 10 labels each
    assert raters.codes == independent_ratings(ANNOMI)


@needs_annomi
def test_annomi_agreement_cli_prints_json() -> None:
    result = CliRunner().invoke(app, ["accuracy", "annomi-agreement", str(ANNOMI), "--no-machine", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["therapist_utterances"] == 216 and figures["unaligned"] == [] and figures["machine"] is None
    assert set(figures["codes"]) == set(CODES)


@needs_annomi
@pytest.mark.parametrize("code", list(CODES))
def test_annomi_agreement_matches_independent_statistics_on_annomi(code: str) -> None:
    check_against_independent(independent_ratings(ANNOMI)[code])


@needs_annomi
@pytest.mark.parametrize("code", list(CODES))
def test_annomi_agreement_machine_kappas_match_sklearn(code: str, annomi: tuple[Raters, AgreementReport]) -> None:
    raters, report = annomi
    heard = raters.codes[code][MACHINE]
    for annotator, pair in report.codes[code].machine_pairs.items():
        human = raters.codes[code][annotator]
        both = [u for u in heard if u in human]
        assert pair.units == len(both)
        assert pair.cohen is not None
        assert abs(pair.cohen - cohen_kappa_score([heard[u] for u in both], [human[u] for u in both])) < TOLERANCE
        assert pair.exact is not None
        assert abs(pair.exact - sum(heard[u] == human[u] for u in both) / len(both)) < TOLERANCE


@needs_annomi
def test_annomi_agreement_figures_are_finite(annomi: tuple[Raters, AgreementReport]) -> None:
    _, report = annomi
    assert report.utterances == 216 and report.machine
    for code in report.codes.values():
        assert code.alpha is not None and -1 <= code.alpha <= 1
        figures = [code.fleiss, code.exact, code.human_cohen.mean, code.annotator_cohen.mean,
                   code.machine_cohen.mean, code.machine_cohen.min, code.machine_cohen.max, code.machine_exact.mean]
        assert code.machine_majority is not None
        figures += [code.machine_majority.cohen, code.machine_majority.exact]
        assert all(f is not None and math.isfinite(f) for f in figures), code.code
        assert len(code.machine_pairs) == 10 and len(code.human_pairs) == 45
    json.dumps(report.public())                    # the --json output is plain JSON
    # The README's figure for the main behaviour: Fleiss' kappa about 0.74.
    assert round(report.codes["main_therapist_behaviour"].fleiss or 0, 2) == 0.74
