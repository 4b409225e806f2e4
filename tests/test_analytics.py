"""Conversation analytics pinned on tiny hand-built calls: timing, silences, overlaps, sentiment."""

from __future__ import annotations

from typing import Any

import pytest

from heard.model import Call, CallAnalysis, Metric, Role, Turn, Word
from heard.pipeline import analyse

A, C = Role.AGENT, Role.CUSTOMER
GREETING = "Thank you for calling Acme, how can I help?"
PROBLEM = "I was charged twice for my bill and I am really worried about rent."
ACKNOWLEDGE = "Oh no, that sounds really stressful."
HOLD = "Let me check that for you, one moment."
RESUME = "Thanks for waiting, I found it."
PLAIN = "The refund is on its way today."
BACKCHANNEL = "Mhm."


def words(start: float, end: float, text: str) -> list[Word]:
    toks = text.split()
    step = (end - start) / len(toks)
    return [Word(text=t, start=round(start + k * step, 3), end=round(start + (k + 1) * step - 0.02, 3))
            for k, t in enumerate(toks)]


def call(*turns: tuple[Any, ...], with_words: bool = False) -> Call:
    """Turns as (role, start, end, text) or (role, [(start, end, text), ...]) for speech runs with pauses."""
    built = []
    for spec in turns:
        if isinstance(spec[1], list):
            role, runs = spec
            ws = [w for s, e, t in runs for w in words(s, e, t)]
            built.append(Turn(speaker=role, start=runs[0][0], end=runs[-1][1], text=" ".join(t for _, _, t in runs),
                              words=ws))
        else:
            role, start, end, text = spec
            built.append(Turn(speaker=role, start=start, end=end, text=text,
                              words=words(start, end, text) if with_words else None))
    return Call(id="hand-built", turns=built)


def value(analysis: CallAnalysis, name: str, party: Role | None = None, label: str | None = None) -> Any:
    found = [m for m in analysis.metrics if m.name == name and m.party == party and (label is None or m.label == label)]
    assert len(found) == 1, (name, party, found)
    return found[0].value


def findings(analysis: CallAnalysis, kind: str) -> list[Any]:
    return [f for f in analysis.findings if f.kind == kind]


@pytest.mark.parametrize("with_words", [False, True])
def test_timing_talk_time_share_and_pace(with_words: bool) -> None:
    c = call((A, 0.0, 4.0, GREETING), (C, 4.5, 10.5, PROBLEM), (A, 11.0, 14.0, ACKNOWLEDGE), with_words=with_words)
    r = analyse(c, only=["timing"])
    assert value(r, "talk_time", A) == 7.0 and value(r, "talk_time", C) == 6.0
    assert value(r, "talk_share", A) == round(7 / 13, 4)
    assert value(r, "talk_percent_of_call", C) == round(100 * 6 / 14, 2)
    assert value(r, "words", A) == 9 + 6
    assert value(r, "wpm", A) == round(15 / (7 / 60), 1)
    assert value(r, "duration") == 14.0
    talk = r.metric("talk_time", A)
    assert talk is not None and talk.approximate is (not with_words) and talk.turns == [0, 2]


def test_timing_word_level_pause_inside_a_turn_is_not_talk() -> None:
    c = call((A, [(0.0, 3.0, HOLD), (7.0, 9.0, RESUME)]), (C, 9.5, 11.0, "Great, thanks."))
    r = analyse(c, only=["timing"])
    assert value(r, "talk_time", A) == pytest.approx(3.0 + 2.0, abs=0.03)  # the first run ends at its last word
    (silence,) = findings(r, "non_talk")
    assert silence.label == "hold" and silence.detail["inside_turn"] == 0
    assert silence.detail["start"] == pytest.approx(2.98, abs=0.01) and silence.detail["end"] == 7.0
    # With turn timings only, the same call has no silence: the pause is hidden inside the turn.
    flat = Call(id="flat", turns=[t.model_copy(update={"words": None}) for t in c.turns])
    r2 = analyse(flat, only=["timing"])
    assert findings(r2, "non_talk") == [] and value(r2, "talk_time", A) == 9.0


@pytest.mark.parametrize(("before", "after", "label"), [
    (HOLD, PLAIN, "hold"),                                 # announced before the silence
    (PLAIN, RESUME, "hold"),                               # acknowledged after it
    (PLAIN, PLAIN, "dead_air"),                            # neither
    ("Bear with me while I look into it.", PLAIN, "hold"),
])
def test_timing_hold_versus_dead_air(before: str, after: str, label: str) -> None:
    c = call((A, 0.0, 3.0, before), (A, 9.0, 12.0, after), (C, 12.5, 13.0, "Okay."))
    r = analyse(c, only=["timing"])
    (silence,) = findings(r, "non_talk")
    assert (silence.label, silence.detail["start"], silence.detail["end"], silence.detail["duration"]) == (
        label, 3.0, 9.0, 6.0)
    assert value(r, "hold_time" if label == "hold" else "dead_air_time") == 6.0
    assert value(r, "non_talk_count") == 1


@pytest.mark.parametrize(("gap", "threshold", "count"), [(2.9, 3.0, 0), (3.0, 3.0, 1), (2.0, 1.5, 1)])
def test_timing_non_talk_threshold(gap: float, threshold: float, count: int) -> None:
    c = call((A, 0.0, 2.0, PLAIN), (C, 2.0 + gap, 6.0 + gap, PROBLEM))
    r = analyse(c, only=["timing"], settings={"timing": {"non_talk_threshold": threshold}})
    assert value(r, "non_talk_count") == count


def test_timing_leading_silence_counts() -> None:
    r = analyse(call((A, 4.0, 6.0, GREETING), (C, 6.5, 9.0, PROBLEM)), only=["timing"])
    (silence,) = findings(r, "non_talk")
    assert (silence.detail["start"], silence.detail["end"]) == (0.0, 4.0)


def test_timing_longest_monologue_ignores_backchannels_and_breaks_at_silence() -> None:
    c = call((A, 0.0, 5.0, PLAIN), (C, 3.0, 3.4, BACKCHANNEL), (A, 5.2, 12.0, PLAIN), (C, 12.5, 14.0, PROBLEM),
             (A, 14.5, 16.0, PLAIN), (A, 20.0, 22.0, PLAIN))
    r = analyse(c, only=["timing"])
    m = r.metric("longest_monologue", A)
    assert m is not None and (m.value, m.turns) == (12.0, [0, 2])
    assert value(r, "longest_monologue", C) == 1.5


def test_timing_response_latency() -> None:
    c = call((A, 0.0, 2.0, GREETING), (C, 2.5, 6.0, PROBLEM), (A, 7.0, 9.0, PLAIN), (C, 9.5, 12.0, PROBLEM),
             (A, 11.5, 14.0, PLAIN))
    r = analyse(c, only=["timing"])
    assert value(r, "response_latency_median", A) == pytest.approx((1.0 + -0.5) / 2)
    worst = r.metric("response_latency_max", A)
    assert worst is not None and (worst.value, worst.turns) == (1.0, [1, 2])


@pytest.mark.parametrize(("reply", "expected"), [(ACKNOWLEDGE, 1.0), (PLAIN, None)])
def test_timing_time_to_acknowledgement(reply: str, expected: float | None) -> None:
    c = call((A, 0.0, 2.0, GREETING), (C, 2.5, 7.0, PROBLEM), (A, 8.0, 10.0, reply))
    m = analyse(c, only=["timing"]).metric("time_to_acknowledgement", A)
    assert m is not None and m.value == expected
    assert m.turns == ([1, 2] if expected is not None else [1])


@pytest.mark.parametrize(("text", "start", "end", "label"), [
    (BACKCHANNEL, 3.0, 3.5, "backchannel"),
    ("Okay, right, yeah.", 3.0, 4.0, "backchannel"),
    ("Okay, right, yeah.", 3.0, 5.0, "overtalk"),                     # longer than 1.5 s, but the agent went on
    ("Sorry but that is not what I asked.", 3.0, 5.0, "overtalk"),   # talked over, did not take the floor
    ("Sorry but that is not what I asked, I want the refund today.", 3.0, 8.0, "interruption"),  # took the floor
    ("Sorry but that is not what I asked, I want the refund today.", 5.3, 9.0, "overtalk"),      # 0.7 s of overlap
])
def test_overlap_backchannel_overtalk_interruption(text: str, start: float, end: float, label: str) -> None:
    c = call((A, 0.0, 6.0, PLAIN + " " + PLAIN), (C, start, end, text))
    r = analyse(c, only=["overlap"])
    (found,) = findings(r, "overlap")
    assert found.label == label and found.detail["by"] == "customer" and found.detail["of"] == "agent"
    assert found.detail["overlap_seconds"] == pytest.approx(min(end, 6.0) - start, abs=1e-3)
    assert value(r, "interruptions", C) == (label == "interruption")
    assert value(r, "overtalks", C) == (label == "overtalk")
    assert value(r, "backchannels", C) == (label == "backchannel")


def test_overlap_tiny_overlaps_are_jitter() -> None:
    r = analyse(call((A, 0.0, 3.0, PLAIN), (C, 2.9, 6.0, PROBLEM)), only=["overlap"])
    assert findings(r, "overlap") == [] and value(r, "interruptions", C) == 0


def test_overlap_word_timing_sees_a_gap_in_the_speech() -> None:
    # The customer starts inside the agent's turn, but during a 4 s pause in the agent's words: no overtalk.
    c = call((A, [(0.0, 3.0, HOLD), (7.0, 9.0, RESUME)]), (C, 3.5, 6.5, "Hello? Are you still there?"))
    assert findings(analyse(c, only=["overlap"]), "overlap") == []


def test_overlap_amazon_style_duration_and_floor() -> None:
    c = call((A, 0.0, 8.0, PLAIN + " " + PLAIN), (C, 5.0, 12.0, "No, stop, that is not what I asked for at all."))
    r = analyse(c, only=["overlap"])
    (found,) = findings(r, "overlap")
    assert found.detail["floor_taken"] is True and found.detail["overlap_seconds"] == 3.0
    assert value(r, "amazon_interruptions", C) == 1 and value(r, "amazon_interruption_seconds", C) == 3.0
    assert value(r, "interruption_seconds", C) == 3.0


SAD, HAPPY = "This is awful, I am so angry and upset.", "That is wonderful, thank you so much!"


def test_sentiment_per_turn_labels_and_agent_empathy_is_not_negative() -> None:
    c = call((A, 0.0, 2.0, GREETING), (C, 2.5, 6.0, SAD), (A, 6.5, 9.0, "I'm so sorry, that must be frustrating."),
             (C, 9.5, 12.0, HAPPY))
    r = analyse(c, only=["sentiment"])
    turns = {t.turn: t for t in r.per_turn("turn_sentiment")}
    assert sorted(turns) == [0, 1, 2, 3]
    assert turns[1].label == "negative" and turns[1].value is not None and turns[1].value < -0.5
    assert turns[3].label == "positive" and turns[3].value is not None and turns[3].value > 0.5
    assert turns[2].label == "neutral" and turns[2].party is A  # raw VADER scores this line negative
    unmasked = analyse(c, only=["sentiment"], settings={"sentiment": {"mask_agent_empathy": False}})
    assert {t.turn: t.label for t in unmasked.per_turn("turn_sentiment")}[2] == "negative"


def test_turn_sentiment_is_one_series_per_party_and_older_per_turn_metrics_still_read() -> None:
    c = call((A, 0.0, 2.0, GREETING), (C, 2.5, 6.0, SAD), (A, 6.5, 9.0, PLAIN), (C, 9.5, 12.0, HAPPY))
    r = analyse(c, only=["sentiment"])
    series = [m for m in r.metrics if m.name == "turn_sentiment"]
    assert [(m.party, m.turns, m.value) for m in series] == [(A, [0, 2], None), (C, [1, 3], None)]
    assert all(m.values is not None and m.labels is not None and len(m.values) == len(m.labels) == 2 for m in series)
    # Only series metrics carry the two lists in their JSON.
    assert '"values"' not in r.metric("sentiment_overall", C).model_dump_json()  # type: ignore[union-attr]
    # An analysis stored by sentiment v2 held one metric per turn: per_turn reads both forms the same.
    old = r.model_copy(update={"metrics": [
        Metric(name="turn_sentiment", value=t.value, label=t.label, party=t.party, turns=[t.turn], analyser="sentiment")
        for t in r.per_turn("turn_sentiment")]})
    assert old.per_turn("turn_sentiment") == r.per_turn("turn_sentiment")
    assert [t.turn for t in r.per_turn("turn_sentiment", C)] == [1, 3]


def test_sentiment_quarters_trajectory_recovery_and_amazon_scale() -> None:
    c = call((C, 0.0, 2.0, SAD), (A, 2.5, 4.0, PLAIN), (C, 4.0, 6.0, SAD), (A, 6.5, 8.0, PLAIN),
             (C, 8.0, 10.0, HAPPY), (A, 10.5, 12.0, PLAIN), (C, 12.0, 14.0, HAPPY))
    r = analyse(c, only=["sentiment"])
    q = [value(r, "sentiment_quarter", C, f"Q{k}") for k in range(1, 5)]
    assert q[0] < 0 and q[1] < 0 and q[2] > 0 and q[3] > 0   # customer quarters end at the customer's last turn, 14 s
    assert value(r, "sentiment_quarter_amazon", C, "Q1") == pytest.approx(5 * q[0], abs=1e-3)
    assert value(r, "sentiment_slope", C) > 0
    assert value(r, "sentiment_recovery", C) > 1.0
    assert value(r, "sentiment_overall_amazon", C) == pytest.approx(5 * value(r, "sentiment_overall", C), abs=0.01)


def test_sentiment_without_times_uses_turn_order_and_says_so() -> None:
    c = Call(id="untimed", turns=[Turn(speaker=C, text=SAD), Turn(speaker=A, text=PLAIN), Turn(speaker=C, text=HAPPY),
                                  Turn(speaker=C, text=HAPPY)])
    r = analyse(c)
    slope = r.metric("sentiment_slope", C)
    assert slope is not None and slope.approximate and slope.unit == "per turn" and slope.value > 0
    assert "timing" in r.skipped and "overlap" in r.skipped


@pytest.mark.parametrize(("customer", "reason"), [
    ([HAPPY, SAD], "sharp drop"),
    (["Okay, fine.", SAD, "This is terrible and I hate it."], "negative customer turns in a row"),
    (["Okay.", "I want to speak to a manager."], "cue: manager_request"),
    (["Okay.", "Then I will cancel my contract."], "cue: cancel_threat"),
])
def test_sentiment_escalation_is_tied_to_the_agent_turn_before(customer: list[str], reason: str) -> None:
    turns: list[tuple[Any, ...]] = []
    t = 0.0
    for text in customer:
        turns += [(A, t, t + 2.0, PLAIN), (C, t + 2.5, t + 5.0, text)]
        t += 6.0
    r = analyse(call(*turns), only=["sentiment"])
    escalations = findings(r, "escalation")
    assert escalations, r.findings
    last = escalations[-1]
    assert any(reason in x for x in last.detail["reasons"])
    assert last.detail["agent_turn_before"] == last.detail["customer_turn"] - 1
    assert [e.turn for e in last.evidence] == [last.detail["customer_turn"] - 1, last.detail["customer_turn"]]


@pytest.mark.parametrize(("text", "cue", "evidence"), [
    ("This is the third time I'm calling about it.", "repeat_contact", "third time"),
    ("I called yesterday already.", "repeat_contact", "I called yesterday"),
    ("Can I speak to a manager please?", "manager_request", "speak to a manager"),
    ("I'll cancel and go elsewhere.", "cancel_threat", "cancel"),
    ("I am SO ANGRY right now.", "all_caps", "SO ANGRY"),
    ("This is bloody useless.", "profanity", "bloody"),
    ("I'm really fed up.", "frustration_words", "fed up"),
])
def test_sentiment_frustration_cues_with_evidence_span(text: str, cue: str, evidence: str) -> None:
    r = analyse(call((A, 0.0, 2.0, GREETING), (C, 2.5, 6.0, text)), only=["sentiment"])
    found = [f for f in findings(r, "frustration_cue") if f.label == cue]
    assert found, [f.label for f in findings(r, "frustration_cue")]
    ev = found[0].evidence[0]
    assert ev.turn == 1 and ev.span is not None
    assert ev.text == text[ev.span[0]:ev.span[1]] and evidence.lower() in ev.text.lower()


def test_sentiment_repeated_question() -> None:
    c = call((C, 0.0, 3.0, "When will my refund arrive?"), (A, 3.5, 5.0, PLAIN),
             (C, 5.5, 8.0, "But when will the refund actually arrive?"))
    cues = [f for f in findings(analyse(c, only=["sentiment"]), "frustration_cue") if f.label == "repeated_question"]
    assert len(cues) == 1 and cues[0].evidence[0].turn == 2


def test_sentiment_lexicon_checksum_is_enforced(monkeypatch: pytest.MonkeyPatch) -> None:
    from heard.errors import AnalysisError
    from heard.text import sentiment

    monkeypatch.setattr(sentiment, "VADER_LEXICON_SHA256", "0" * 64)
    with pytest.raises(AnalysisError, match="VADER lexicon"):
        sentiment._verified_analyzer()
