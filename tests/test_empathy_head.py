"""heard's learned empathy head: what it adds over the patterns, what it must not credit, and that it is current.

The sentences here are new (not in training/), so they test generalisation within heard's registers.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from heard.analysers.empathy import EmpathySettings
from heard.empathy import head
from heard.model import Call, Role, Turn
from heard.pipeline import analyse

ROOT = Path(__file__).resolve().parents[1]
PROBLEM = "They cut my broadband off on the day of my job interview and I've been on hold for two hours."


def call(reply: str) -> Call:
    return Call(id="head-test", turns=[
        Turn(speaker=Role.AGENT, start=0.0, end=2.0, text="Northwind, Priya speaking."),
        Turn(speaker=Role.CUSTOMER, start=2.5, end=8.0, text=PROBLEM),
        Turn(speaker=Role.AGENT, start=8.5, end=12.0, text=reply),
    ])


def how(reply: str, behaviour: str, *, learned_head: bool = True) -> list[str]:
    settings = {"empathy": EmpathySettings(learned_head=learned_head)}
    findings = analyse(call(reply), only=["empathy"], settings=settings).findings
    return [h for f in findings if f.kind == "behaviour" and f.label == behaviour and f.evidence[0].turn == 2
            for h in f.detail["how"]]


@pytest.mark.parametrize(("behaviour", "reply"), [
    ("acknowledge_emotion", "Losing the line on the day of an interview is the last thing anyone needs."),
    ("acknowledge_emotion", "Two hours on hold would wear anyone down."),
    ("reassurance", "You won't miss out because of us, I'll make it right."),
    ("reassurance", "You've done everything you could here."),
])
def test_head_finds_what_no_pattern_covers(behaviour: str, reply: str) -> None:
    assert not how(reply, behaviour, learned_head=False), "a pattern or exemplar already covers this sentence"
    found = how(reply, behaviour)
    assert any(h.startswith("learned head (p=") for h in found), f"missed: {reply!r}"


@pytest.mark.parametrize(("behaviour", "reply"), [
    ("acknowledge_emotion", "Your broadband was disconnected on the 14th for a missed payment."),
    ("acknowledge_emotion", "I'll reconnect the line now and it should be back within the hour."),
    ("reassurance", "I'll email you the reconnection form now."),
    ("reassurance", "Thanks."),
])
def test_head_near_misses(behaviour: str, reply: str) -> None:
    assert not how(reply, behaviour), f"false alarm: {reply!r}"


def test_head_never_credits_a_canned_line() -> None:
    # "I understand your frustration" is a robotic-empathy phrase in the lexicon: the head must not turn it into
    # an acknowledgement, whatever its probability.
    assert not how("I understand your frustration.", "acknowledge_emotion")


def test_head_version_is_recorded_in_findings() -> None:
    findings = analyse(call("Two hours on hold would wear anyone down."), only=["empathy"]).findings
    assert {f.detail["head_version"] for f in findings} == {head.load().version}


def test_head_weights_match_the_training_files() -> None:
    data = json.loads(head.WEIGHTS.read_text(encoding="utf-8"))
    files = (("sha256", "training/empathy_head.yaml"), ("heldout_sha256", "training/empathy_head_heldout.yaml"))
    for key, path in files:
        digest = hashlib.sha256((ROOT / path).read_bytes()).hexdigest()
        assert data["training"][key] == digest, f"{path} changed: run scripts/train_head.py"
    assert all(data["heads"][label]["heldout"]["support"] > 0 for label in data["labels"])


def test_head_retrains_to_the_shipped_weights() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "train_head.py"), "--check"],
                          capture_output=True, text=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr


def test_bad_head_file_is_a_clear_error(tmp_path: Path) -> None:
    from heard.errors import AnalysisError

    bad = tmp_path / "head.json"
    bad.write_text('{"labels": ["ack"], "heads": {"ack": {"weights": [1, 2], "bias": 0, "threshold": 0.5}}}')
    with pytest.raises(AnalysisError, match="expected") as info:
        head.load.__wrapped__(bad)
    assert "train_head.py" in (info.value.hint or "")


@pytest.mark.parametrize(("nudge", "flagged"), [(1e-5, False), (0.05, True)])
def test_head_check_tolerates_float_noise_but_not_a_change(nudge: float, flagged: bool) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("train_head", ROOT / "scripts" / "train_head.py")
    assert spec and spec.loader
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    shipped = json.loads(head.WEIGHTS.read_text(encoding="utf-8"))
    moved = json.loads(json.dumps(shipped))
    moved["heads"]["ack"]["weights"][0] += nudge
    assert bool(script.differences(shipped, moved)) is flagged
