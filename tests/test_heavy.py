"""The heavy analyser: bereavement, abuse, threats and acute distress in what the customer said, on named example
sentences (punctuated and as speech-to-text writes them), the one is_heavy rule, and a call through the pipeline.

`python -m tests.test_heavy` prints precision and recall per label on the named set below."""

from __future__ import annotations

import pytest

from heard.analysers import REGISTRY
from heard.analysers.heavy import LABELS, heavy_hits, is_heavy
from heard.model import Call, Role, Turn
from heard.pipeline import analyse

A, C = Role.AGENT, Role.CUSTOMER
GREETING = "Thank you for calling Acme, how can I help?"

# Should fire: (customer sentence, label).
FIRES = [
    # bereavement
    ("My husband passed away last week.", "bereavement"),
    ("um it's for my late mother's account", "bereavement"),
    ("we lost our son in march", "bereavement"),
    ("the funeral is on friday so i need this sorted", "bereavement"),
    ("my dad died three weeks ago and the bill is in his name", "bereavement"),
    ("my mum's terminally ill", "bereavement"),
    ("she's dying and she wants her affairs in order", "bereavement"),
    ("i i'm calling about my grandmother she passed on sunday", "bereavement"),
    ("i'm the executor we're waiting on probate", "bereavement"),
    ("i need to send you the death certificate", "bereavement"),
    ("my wife has only got weeks to live", "bereavement"),
    ("we had a miscarriage last month and the baby things are still on order", "bereavement"),
    # abuse
    ("you're a useless idiot", "abuse"),
    ("f*** off", "abuse"),
    ("oh just fuck off", "abuse"),
    ("you stupid cow", "abuse"),
    ("listen you absolute moron i've told you three times", "abuse"),
    ("you people are idiots", "abuse"),
    ("go fuck yourself", "abuse"),
    ("shut your mouth and listen", "abuse"),
    ("ur a f**king joke you useless bitch", "abuse"),
    ("stupid cow", "abuse"),
    # threat
    ("I'll come down there and smash your face in.", "threat"),
    ("i know where your office is", "threat"),
    ("I don't want to live anymore.", "threat"),
    ("i'll end it all", "threat"),
    ("ill kill you", "threat"),
    ("i'm gonna come round and batter you", "threat"),
    ("i know where you live", "threat"),
    ("honestly i want to die", "threat"),
    ("i've been thinking about killing myself", "threat"),
    ("i'll burn the place down", "threat"),
    ("i'm feeling suicidal", "threat"),
    ("there's no reason to live", "threat"),
    # distress
    ("[crying] sorry i just", "distress"),
    ("sorry i'm crying", "distress"),
    ("i'm desperate", "distress"),
    ("I can't cope.", "distress"),
    ("i have no money for food", "distress"),
    ("my kids have nothing to eat", "distress"),
    ("i'm having a panic attack", "distress"),
    ("my husband hits me and he controls all my money", "distress"),
    ("my wife's in hospital", "distress"),
    ("i've just come out of hospital", "distress"),
    ("i can't take it anymore", "distress"),
    ("i'm at the end of my tether", "distress"),
    ("we're going to be evicted on monday", "distress"),
    ("i'm fleeing an abusive relationship", "distress"),
    ("he was diagnosed with cancer in june", "distress"),
    ("i don't know what to do anymore", "distress"),
    ("sorry if i'm crying", "distress"),
    ("i don't want to lose my house", "distress"),
]

# Must not fire: (customer sentence, the label it could be mistaken for).
QUIET = [
    # bereavement
    ("the battery died", "bereavement"),
    ("my phone is dead", "bereavement"),
    ("there's a dead line when i call", "bereavement"),
    ("I'm dying to know when it arrives.", "bereavement"),
    ("this is killing me", "bereavement"),
    ("my son passed his driving test", "bereavement"),
    ("i lost my dad's bank card", "bereavement"),
    ("i'm late with the payment", "bereavement"),
    ("if my husband died would the policy pay out", "bereavement"),
    ("i want to set up a funeral plan", "bereavement"),
    ("my flight leaves from terminal 5", "bereavement"),
    ("the car died on the motorway", "bereavement"),
    # abuse
    ("this bloody phone", "abuse"),
    ("damn it's late", "abuse"),
    ("this is fucking ridiculous", "abuse"),
    ("i'm not calling you an idiot", "abuse"),
    ("my ex called me a stupid cow", "abuse"),
    ("you're a star thank you", "abuse"),
    ("it really pissed me off", "abuse"),
    ("what the hell is going on", "abuse"),
    ("she's a stupid cow at the branch", "abuse"),
    ("you're not an idiot it's the system", "abuse"),
    # threat
    ("I'll take my business elsewhere.", "threat"),
    ("i'll go to the ombudsman", "threat"),
    ("i'll see you in court", "threat"),
    ("i'll hit the button now", "threat"),
    ("i'll get you the reference number", "threat"),
    ("i don't want to live in that area", "threat"),
    ("i killed myself laughing", "threat"),
    ("i'm not suicidal don't worry", "threat"),
    ("i'll kill the call and ring back", "threat"),
    ("i'll beat their price", "threat"),
    ("i know where your branch is", "threat"),
    ("my husband committed suicide", "threat"),
    # distress
    ("my baby's crying in the background sorry", "distress"),
    ("for crying out loud", "distress"),
    ("i'm desperate to know when it ships", "distress"),
    ("i'm not in hospital anymore i'm fine", "distress"),
    ("i work in a hospital", "distress"),
    ("i can cope with that", "distress"),
    ("my husband hit me with the news yesterday", "distress"),
    ("don't panic it's fine", "distress"),
    ("i live on the street behind the station", "distress"),
    ("i can't take this payment today", "distress"),
    ("i don't know what to do with the router", "distress"),
    ("no i'm not crying it's hay fever", "distress"),
    ("what happens if i end up in hospital", "distress"),
]


def _labels(text: str) -> set[str]:
    return {label for label, _ in heavy_hits(text)}


@pytest.mark.parametrize(("text", "label"), FIRES, ids=[f"{label}:{text[:40]}" for text, label in FIRES])
def test_heavy_fires(text: str, label: str) -> None:
    assert label in _labels(text)


@pytest.mark.parametrize(("text", "label"), QUIET, ids=[f"{label}:{text[:40]}" for text, label in QUIET])
def test_heavy_stays_quiet(text: str, label: str) -> None:
    assert label not in _labels(text)


@pytest.mark.parametrize("text", ["my husband passed away last week", "f*** off you stupid cow"])
def test_heavy_evidence_is_the_customers_own_characters(text: str) -> None:
    for _, (start, end) in heavy_hits(text):
        assert 0 <= start < end <= len(text) and text[start:end].strip() == text[start:end]


def _call(*turns: tuple[Role, str]) -> Call:
    return Call(id="c1", turns=[Turn(speaker=role, text=text, start=i * 5.0, end=i * 5.0 + 4.0)
                                for i, (role, text) in enumerate(turns)])


@pytest.mark.parametrize("only", [["heavy"]])
def test_heavy_pipeline_reads_only_the_customer(only: list[str]) -> None:
    call = _call((A, GREETING), (C, "hi um my husband passed away last week and i can't cope"),
                 (A, "I'm so sorry. You stupid cow, I'll end it all."),   # an agent's words are never read
                 (C, "sorry i'm crying"), (C, "thank you"))
    result = analyse(call, only=only)
    found = {f.label: f for f in result.findings if f.kind == "heavy"}
    assert set(found) == {"bereavement", "distress"}
    assert [e.turn for e in found["distress"].evidence] == [1, 3]
    assert found["bereavement"].evidence[0].text == "my husband passed away"
    metric = result.metric("heavy", Role.CUSTOMER)
    assert metric is not None and metric.value == 1 and metric.turns == [1, 3]
    assert result.summary()["heavy"] == ["bereavement", "distress"]


@pytest.mark.parametrize("only", [["heavy"]])
def test_heavy_pipeline_quiet_call(only: list[str]) -> None:
    result = analyse(_call((A, GREETING), (C, "i was charged twice this bloody phone bill"), (A, "Let me check.")),
                     only=only)
    metric = result.metric("heavy", Role.CUSTOMER)
    assert metric is not None and metric.value == 0
    assert result.summary()["heavy"] == []


@pytest.mark.parametrize("only", [["turns.basic"]])
def test_heavy_summary_is_none_when_the_analyser_did_not_run(only: list[str]) -> None:
    assert analyse(_call((A, GREETING), (C, "my husband passed away")), only=only).summary()["heavy"] is None


def test_heavy_is_registered_with_version_one() -> None:
    assert REGISTRY["heavy"].version == 1 and REGISTRY["heavy"].produces == ("heavy",)
    assert set(LABELS) == {label for _, label in FIRES}


@pytest.mark.parametrize(("summary", "expected"), [
    pytest.param(None, None, id="no_summary"),
    pytest.param({"behaviours": []}, None, id="no_heavy_no_start"),
    pytest.param({"heavy": None, "customer_start": None, "cues": 5}, None, id="unknown_both"),
    pytest.param({"heavy": ["abuse"], "customer_start": None}, True, id="label"),
    pytest.param({"heavy": [], "customer_start": -0.6, "cues": 0, "escalations": 0}, True, id="start_at_threshold"),
    pytest.param({"heavy": [], "customer_start": -0.46, "cues": 0, "escalations": 0}, False,
                 id="worried_is_not_heavy"),
    pytest.param({"heavy": [], "customer_start": -0.39, "cues": 0, "escalations": 0}, False, id="start_above"),
    pytest.param({"heavy": [], "customer_start": 0.1, "cues": 2, "escalations": 0}, True, id="two_cues"),
    pytest.param({"heavy": [], "customer_start": 0.1, "cues": 1, "escalations": 0}, False, id="one_cue"),
    pytest.param({"heavy": [], "customer_start": 0.1, "cues": None, "escalations": 1}, True, id="escalation"),
    pytest.param({"heavy": None, "customer_start": -0.8}, True, id="old_summary_negative_start"),
    pytest.param({"heavy": [], "customer_start": None, "cues": None, "escalations": 0}, False, id="quiet"),
])
def test_is_heavy(summary: dict[str, object] | None, expected: bool | None) -> None:
    assert is_heavy(summary) is expected


def precision_recall() -> dict[str, tuple[float, float, int, int, int]]:
    """Per label on the named set: (precision, recall, true positives, false positives, false negatives). A label is
    judged on its own sentences: FIRES of that label are positives, QUIET of that label negatives."""
    out = {}
    for label in LABELS:
        tp = fp = fn = 0
        for text, expected in FIRES:
            if expected == label:
                got = label in _labels(text)
                tp, fn = tp + got, fn + (not got)
        fp = sum(label in _labels(text) for text, expected in QUIET if expected == label)
        out[label] = (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0, tp, fp, fn)
    return out


def test_heavy_precision_and_recall_on_the_named_set() -> None:
    for label, (precision, recall, *_) in precision_recall().items():
        assert precision == 1.0 and recall == 1.0, label


if __name__ == "__main__":
    print(f"{len(FIRES)} should fire, {len(QUIET)} must not")
    for name, (p, r, tp, fp, fn) in precision_recall().items():
        print(f"{name:12} precision {p:.2f}  recall {r:.2f}  (tp {tp}, fp {fp}, fn {fn})")
