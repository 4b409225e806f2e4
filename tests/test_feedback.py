"""Feedback help for leaders: named examples both ways, the measured precision and recall, and `heard feedback`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heard.cli import app
from heard.coaching.feedback import KINDS, check, load_labelled, measure

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "training" / "feedback" / "labelled.jsonl"
DEV = 100                       # the first 100 lines are dev (tuned on); the rest are test (never tuned on)

runner = CliRunner()

# One named example per case: (id, feedback, kind, whether a careful coach would flag that kind).
EXAMPLES = [
    ("judgemental_you_need_to", "You need to show the customer you care.", "judgemental", True),
    ("judgemental_you_should_have", "You should've offered the goodwill credit.", "judgemental", True),
    ("judgemental_lowercase_u_need_to", "u need to slow down on the close", "judgemental", True),
    ("judgemental_why_didnt_you_no_punctuation", "why didnt you check the notes first", "judgemental", True),
    ("judgemental_unacceptable_verdict", "Leaving her on hold like that was unacceptable.", "judgemental", True),
    ("judgemental_what_were_you_thinking", "What were you thinking, quoting the policy at a grieving man?",
     "judgemental", True),
    ("judgemental_stop_imperative", "Stop rushing through the verification.", "judgemental", True),
    ("judgemental_not_good_enough", "That wrap-up is not good enough.", "judgemental", True),
    ("not_judgemental_curious_question", "That call sounded tense — what was happening for you there?",
     "judgemental", False),
    ("not_judgemental_should_be_proud", "You should be proud of how you handled the 2:15 call.", "judgemental", False),
    ("not_judgemental_poor_woman_is_sympathy", "The poor woman had been cut off twice before she reached you.",
     "judgemental", False),
    ("not_judgemental_must_be_tired", "You must be tired after that run of escalations.", "judgemental", False),
    ("not_judgemental_dont_worry", "Don't worry about the dropped call, the line failed.", "judgemental", False),
    ("absolute_never", "You never acknowledge customers.", "absolute", True),
    ("absolute_always_lowercase_u", "u always rush the close", "absolute", True),
    ("absolute_every_time", "Every time the customer pushes back you give in on the fee.", "absolute", True),
    ("absolute_constantly", "you constantly talk over people", "absolute", True),
    ("absolute_not_once", "Not once did you use her name.", "absolute", True),
    ("not_absolute_not_always", "You're not always clear on the next steps.", "absolute", False),
    ("not_absolute_dont_always", "you don't always read back the card number", "absolute", False),
    ("not_absolute_never_fail_to_is_praise", "You never fail to greet people warmly.", "absolute", False),
    ("not_absolute_never_lost_temper_is_praise", "you never once lost your temper with him", "absolute", False),
    ("not_absolute_always_calm_is_praise", "You always stay calm when callers get heated.", "absolute", False),
    ("not_absolute_inside_quoted_words", "At 3:10 you said 'I completely understand, that always happens' and she "
                                         "relaxed.", "absolute", False),
    ("not_absolute_process_instruction", "Always read the disclosure before taking payment.", "absolute", False),
    ("label_youre_careless", "You're careless.", "label_not_behaviour", True),
    ("label_youre_without_apostrophe", "youre so lazy with the notes", "label_not_behaviour", True),
    ("label_u_r", "u r rude to older callers", "label_not_behaviour", True),
    ("label_bad_listener", "You are a bad listener.", "label_not_behaviour", True),
    ("label_attitude_problem", "You have an attitude problem.", "label_not_behaviour", True),
    ("label_not_a_people_person", "you're just not a people person", "label_not_behaviour", True),
    ("not_label_negated", "You're not careless - you were rushed by the queue.", "label_not_behaviour", False),
    ("not_label_i_dont_think", "I don't think you're lazy at all.", "label_not_behaviour", False),
    ("not_label_behaviour_described", "You interrupted the customer twice at 1:40.", "label_not_behaviour", False),
    ("not_label_praise", "You're a natural with upset callers.", "label_not_behaviour", False),
    ("no_moment_generic", "Your empathy could be warmer.", "no_specific_moment", True),
    ("no_moment_plural_calls", "On your calls the recap often gets skipped.", "no_specific_moment", True),
    ("moment_timestamp", "At 4:12 the recap got skipped.", "no_specific_moment", False),
    ("moment_turn", "In turn 9 you moved on before she finished.", "no_specific_moment", False),
    ("moment_named_call", "On the billing call with Mrs Grant the recap got skipped.", "no_specific_moment", False),
    ("moment_quoted_words", "She said 'I'm scared of losing the flat' and you went straight to the balance.",
     "no_specific_moment", False),
    ("no_recognition_criticism_only", "You talked over her twice at 2:20.", "no_recognition", True),
    ("no_recognition_i_noticed_something_missed", "I noticed you skipped the recap at 5:05.", "no_recognition", True),
    ("no_recognition_backhanded", "You could be great at this if you tried.", "no_recognition", True),
    ("recognition_thanks_for", "Thanks for staying late to clear the callbacks.", "no_recognition", False),
    ("recognition_well_done_lowercase", "well done on the 3pm call", "no_recognition", False),
    ("recognition_i_noticed_you", "I noticed you slowed down when she got upset.", "no_recognition", False),
    ("recognition_good_job", "good job keeping him on track", "no_recognition", False),
    ("no_question_statement_only", "The hold at 2:30 went on too long.", "no_question", True),
    ("no_question_blaming_why", "Why did you transfer him?", "no_question", True),
    ("no_question_request_not_invitation", "Can you make sure you use the new wrap-up codes?", "no_question", True),
    ("question_with_mark", "What was happening for you when she went quiet?", "no_question", False),
    ("question_without_punctuation", "how did that call feel from your side", "no_question", False),
    ("question_as_invitation", "I'd love to hear how the 11:50 call felt from your side.", "no_question", False),
]

GOOD = ("On the billing call at 2:10 the customer said she was worried about rent. What did you notice there? "
        "I liked how patient you were with the verification.")


@pytest.mark.parametrize(("text", "kind", "flagged"), [e[1:] for e in EXAMPLES], ids=[e[0] for e in EXAMPLES])
def test_feedback_named_examples(text: str, kind: str, flagged: bool) -> None:
    report = check(text)
    assert (kind in report.kinds) is flagged, [(f.kind, f.why) for f in report.flags]


@pytest.mark.parametrize("text", [GOOD], ids=["good_feedback_has_no_flags"])
def test_feedback_good_feedback_has_no_flags(text: str) -> None:
    assert check(text).flags == ()


@pytest.mark.parametrize("text", ["", "   \n"], ids=["empty", "blank"])
def test_feedback_empty_text_has_no_flags(text: str) -> None:
    assert check(text).flags == ()


@pytest.mark.parametrize("text", ["You never acknowledge customers."], ids=["never_acknowledge"])
def test_feedback_flag_has_spans_why_and_varied_suggestions_in_the_feedbacks_words(text: str) -> None:
    report = check(text)
    assert report.kinds == {"absolute", "no_specific_moment", "no_recognition", "no_question"}
    (absolute,) = report.of("absolute")
    assert [text[a:b] for a, b in absolute.spans] == ["never"]
    assert absolute.why.startswith('"never" turns some calls into all of them')
    assert 2 <= len(absolute.suggestions) <= 3
    assert len(set(absolute.suggestions)) == len(absolute.suggestions)
    assert all("acknowledge customers" in s for s in absolute.suggestions)
    for flag in report.flags:
        assert flag.why and 2 <= len(flag.suggestions) <= 3
        assert all(0 <= a < b <= len(text) for a, b in flag.spans)


@pytest.mark.parametrize(("text", "evidence", "words"), [
    ("youre careless with the account notes", "youre careless", "the account notes"),
    ("Why didn't you offer the payment plan?", "Why didn't you offer the payment plan", "payment plan"),
    ("You need to show more empathy, its not hard", "You need to show more empathy", "show more empathy"),
], ids=["label_rewrite_keeps_the_topic", "blame_rewrite_keeps_the_action", "directive_rewrite_keeps_the_action"])
def test_feedback_rewrites_respond_to_the_text(text: str, evidence: str, words: str) -> None:
    flag = next(f for f in check(text).flags if not f.kind.startswith("no_"))
    assert text[flag.spans[0][0]:flag.spans[0][1]] == evidence
    assert sum(words in s for s in flag.suggestions) >= 2


@pytest.mark.parametrize("text", ["You never acknowledge customers."], ids=["moment_hint"])
def test_feedback_moment_hint_drops_the_moment_flag(text: str) -> None:
    assert "no_specific_moment" in check(text).kinds
    assert "no_specific_moment" not in check(text, moment_hint=True).kinds


def test_feedback_labelled_set_is_big_enough_and_well_formed() -> None:
    rows = load_labelled(LABELLED)
    assert len(rows) >= 200
    assert len({text for text, _ in rows}) == len(rows)
    assert all(flags <= set(KINDS) for _, flags in rows)
    assert any(not flags for _, flags in rows[:DEV]) and any(not flags for _, flags in rows[DEV:])


# Measured once on the test part after the checker was tuned on the dev part only (see docs/coaching.md).
TEST_FIGURES = {
    "judgemental": (1.000, 1.000),
    "absolute": (0.842, 0.941),
    "label_not_behaviour": (1.000, 1.000),
    "no_specific_moment": (0.986, 1.000),
    "no_recognition": (0.971, 0.971),
    "no_question": (1.000, 1.000),
    None: (0.979, 0.989),
}
DEV_FIGURES = {None: (0.996, 1.000), "no_specific_moment": (0.981, 1.000)}


@pytest.mark.parametrize(("part", "kind", "precision", "recall"),
                         [("test", k, p, r) for k, (p, r) in TEST_FIGURES.items()]
                         + [("dev", k, p, r) for k, (p, r) in DEV_FIGURES.items()],
                         ids=[f"test-{k or 'overall'}" for k in TEST_FIGURES] + [f"dev-{k or 'overall'}"
                                                                                for k in DEV_FIGURES])
def test_feedback_precision_and_recall_on_the_labelled_set(part: str, kind: str | None, precision: float,
                                                           recall: float) -> None:
    rows = load_labelled(LABELLED)
    scores = measure(rows[DEV:] if part == "test" else rows[:DEV])
    assert scores.precision(kind) == pytest.approx(precision, abs=0.01)
    assert scores.recall(kind) == pytest.approx(recall, abs=0.01)


def test_feedback_cli_check_prints_flags_why_and_suggestions() -> None:
    result = runner.invoke(app, ["feedback", "check", "You never acknowledge customers."])
    assert result.exit_code == 0
    for word in ("absolute", "no_specific_moment", "no_recognition", "no_question", "why:", "try:"):
        assert word in result.stdout


def test_feedback_cli_check_good_feedback() -> None:
    result = runner.invoke(app, ["feedback", "check", GOOD])
    assert result.exit_code == 0
    assert "No flags" in result.stdout


def test_feedback_cli_check_json_from_stdin() -> None:
    result = runner.invoke(app, ["feedback", "check", "-", "--json"], input="u r so lazy")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["text"] == "u r so lazy"
    (label,) = [f for f in data["flags"] if f["kind"] == "label_not_behaviour"]
    assert label["evidence"] == ["u r so lazy"] and label["spans"] == [[0, 11]]
    assert label["why"] and len(label["suggestions"]) == 3


def test_feedback_cli_check_at_file(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text("Your notes are useless.", encoding="utf-8")
    result = runner.invoke(app, ["feedback", "check", f"@{note}", "--json", "--moment-hint"])
    assert result.exit_code == 0
    kinds = {f["kind"] for f in json.loads(result.stdout)["flags"]}
    assert kinds == {"judgemental", "no_recognition", "no_question"}


def test_feedback_cli_check_missing_file_says_what_to_do(tmp_path: Path) -> None:
    result = runner.invoke(app, ["feedback", "check", f"@{tmp_path / 'nope.txt'}"])
    assert result.exit_code == 2
    assert "cannot read" in result.stderr and "@path" in result.stderr


def test_feedback_cli_accuracy_test_part_json() -> None:
    result = runner.invoke(app, ["feedback", "accuracy", str(LABELLED), "--part", "test", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["items"] == len(load_labelled(LABELLED)) - DEV
    assert data["kinds"]["overall"]["precision"] == pytest.approx(TEST_FIGURES[None][0], abs=0.01)
    assert data["kinds"]["overall"]["recall"] == pytest.approx(TEST_FIGURES[None][1], abs=0.01)
