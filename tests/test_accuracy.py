"""The evaluation harness: dataset readers (on tiny files written here in each dataset's format),
the label mapping, and the precision / recall / F1 arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from heard.accuracy.datasets import read_annomi, read_epitome, read_esconv
from heard.accuracy.score import Counts, evaluate
from heard.cli import app
from heard.model import Call, Role

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def test_evaluation_esconv_reader(tmp_path: Path) -> None:
    path = tmp_path / "valid.json"
    dialog = [{"text": "Hi, how are you feeling today?", "speaker": "sys", "strategy": "Question"},
              {"text": "Pretty low, I lost my job.", "speaker": "usr"},
              {"text": "That sounds really hard.", "speaker": "sys", "strategy": "Reflection of feelings"},
              {"text": "Maybe try a walk.", "speaker": "sys", "strategy": "Providing Suggestions"}]
    path.write_text(json.dumps({"dialog": dialog}) + "\n\n" + json.dumps({"dialog": dialog[:1]}) + "\n")
    items = list(read_esconv(path))
    assert len(items) == 2
    first = items[0]
    assert [t.speaker for t in first.call.turns] == [Role.AGENT, Role.CUSTOMER, Role.AGENT, Role.AGENT]
    assert first.labels == {0: {"ESConv Question"}, 2: {"ESConv Reflection of feelings"}, 3: set()}
    assert all(len(judged) == 4 for judged in first.evaluated.values())  # one strategy per message


def test_evaluation_epitome_reader_only_judges_what_was_labelled(tmp_path: Path) -> None:
    header = "sp_id,rp_id,seeker_post,response_post,level,rationales\n"
    sorry = 's1,r1,"I feel alone.","I\'m so sorry.",'
    (tmp_path / "emotional-reactions-reddit.csv").write_text(header + sorry + "1,sorry\n")
    (tmp_path / "explorations-reddit.csv").write_text(header + 's1,r1,"I feel alone.","I\'m so sorry.",0,\n'
                                                      's2,r2,"Bad day.","What happened?",2,What happened?\n')
    items = {i.call.turns[1].text: i for i in read_epitome(tmp_path)}
    assert items["I'm so sorry."].labels == {1: {"EPITOME emotional reactions"}}
    assert items["I'm so sorry."].evaluated == {1: {"EPITOME emotional reactions", "EPITOME explorations"}}
    assert items["What happened?"].evaluated == {1: {"EPITOME explorations"}}  # not in the other file


def test_evaluation_annomi_reader(tmp_path: Path) -> None:
    path = tmp_path / "AnnoMI-simple.csv"
    path.write_text(
        "transcript_id,mi_quality,video_title,video_url,topic,utterance_id,interlocutor,timestamp,utterance_text,"
        "main_therapist_behaviour,client_talk_type\n"
        '3,high,t,u,x,1,client,00:00:05,"I drink too much, I think.",n/a,change\n'
        '3,high,t,u,x,0,therapist,00:00:01,"How has your week been?",question,n/a\n'
        '3,high,t,u,x,2,therapist,00:00:09,"You\'re worried about your drinking.",reflection,n/a\n')
    (item,) = read_annomi(path)
    assert item.call.turns[0].text == "How has your week been?"  # ordered by utterance_id
    assert item.labels == {0: {"AnnoMI question"}, 2: {"AnnoMI reflection"}}


def test_evaluation_counts_arithmetic() -> None:
    c = Counts(tp=3, fp=1, fn=2, support=5)
    assert (c.precision, c.recall) == (0.75, 0.6)
    assert c.f1 == pytest.approx(2 * 0.75 * 0.6 / 1.35)
    assert Counts().f1 == 0.0


def test_evaluation_scores_through_the_mapping(tmp_path: Path) -> None:
    from heard.accuracy.datasets import Labelled
    from heard.model import Turn

    call = Call(id="x", turns=[Turn(speaker=Role.AGENT, text="a"), Turn(speaker=Role.AGENT, text="b")])
    item = Labelled(call, {0: {"AnnoMI reflection"}, 1: set()}, {0: {"AnnoMI reflection"}, 1: {"AnnoMI reflection"}})
    # summarise_goal counts as a reflection (mirroring or summarising); reassurance does not.
    report = evaluate([item], {"p": lambda c: {0: {"summarise_goal"}, 1: {"reassurance"}}})["p"]
    counts = report.counts["AnnoMI reflection"]
    assert (counts.tp, counts.fp, counts.fn, counts.support) == (1, 0, 0, 1)


@pytest.mark.skipif(not (SHARED / "esconv" / "valid.json").exists(), reason="ESConv is not in ../shared/data")
def test_accuracy_cli_on_real_esconv() -> None:
    result = CliRunner().invoke(app, ["accuracy", "esconv", "--limit", "3", str(SHARED / "esconv" / "valid.json")])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["conversations"] == 3
    assert set(figures["behaviours"]) <= {"ESConv Question", "ESConv Restatement or Paraphrasing",
                                          "ESConv Reflection of feelings", "ESConv Affirmation and Reassurance"}
    for scores in figures["behaviours"].values():
        assert 0 <= scores["heard"]["f1"] <= 1 and scores["heard"]["support"] == scores["baseline"]["support"]


def test_accuracy_cli_gold_under_its_old_name_too() -> None:
    result = CliRunner().invoke(app, ["eval", "gold"])
    assert result.exit_code == 0
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["conversations"] == 9 and "robotic_empathy" in figures["behaviours"]
